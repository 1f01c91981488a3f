#include "cli/schedule/schedule_text.hpp"

#include <fmt/format.h>

namespace offsite::cli {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

} // namespace

std::string DailyTime::text() const { return fmt::format("{:02}:{:02}", hour, minute); }

std::optional<DailyTime> parse_daily_time(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3)
    return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (i != colon && !is_digit(text[i])) return std::nullopt;
  DailyTime t;
  for (std::size_t i = 0; i < colon; ++i)
    t.hour = t.hour * 10 + (text[i] - '0');
  t.minute = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
  if (t.hour > 23 || t.minute > 59) return std::nullopt;
  return t;
}

std::string sh_quote(std::string_view word) {
  const auto safe = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '-' || c == '.' || c == '/' || c == ':' || c == ',' || c == '+' || c == '=' ||
           c == '@';
  };
  // '=' is safe in the middle of a word, but a first word "A=B" would be an
  // assignment; '-' first is fine for sh (it is the program that parses it).
  bool plain = !word.empty() && word.front() != '=';
  for (char c : word)
    plain = plain && safe(c);
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::string sh_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += sh_quote(w);
  }
  return out;
}

std::string systemd_quote(std::string_view word) {
  std::string out = "\"";
  for (char c : word) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '%': out += "%%"; break;
    case '$': out += "$$"; break;
    default: out += c;
    }
  }
  out += '"';
  return out;
}

std::string systemd_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += systemd_quote(w);
  }
  return out;
}

bool has_control_character(std::string_view word) {
  for (char c : word)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

std::string cron_marker(std::string_view name) {
  return fmt::format("# {}: written by \"offsite schedule install\"; the next line is its job",
                     name);
}

std::string cron_job_line(const DailyTime& time, std::string_view command) {
  std::string escaped;
  for (char c : command) {
    if (c == '%') escaped += '\\';
    escaped += c;
  }
  return fmt::format("{} {} * * * {}", time.minute, time.hour, escaped);
}

std::optional<DailyTime> cron_daily_time(std::string_view line) {
  const auto first = line.find(' ');
  if (first == std::string_view::npos || first == 0 || first > 2) return std::nullopt;
  const auto second = line.find(' ', first + 1);
  if (second == std::string_view::npos || second - first - 1 == 0 || second - first - 1 > 2)
    return std::nullopt;
  if (line.substr(second, 7) != " * * * ") return std::nullopt;
  const std::string minute(line.substr(0, first));
  const std::string hour(line.substr(first + 1, second - first - 1));
  return parse_daily_time(hour + ":" + (minute.size() == 1 ? "0" : "") + minute);
}

std::string cron_command(std::string_view line) {
  std::size_t pos = 0;
  for (int field = 0; field < 5; ++field) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
      ++pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t')
      ++pos;
  }
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
    ++pos;
  std::string out;
  for (std::size_t i = pos; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '%') continue;
    out += line[i];
  }
  return out;
}

std::optional<std::string> cron_find(std::string_view crontab, std::string_view name) {
  const auto lines = split_lines(crontab);
  const std::string marker = cron_marker(name);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i)
    if (lines[i] == marker) return std::string(lines[i + 1]);
  return std::nullopt;
}

std::string cron_remove(std::string_view crontab, std::string_view name, bool* removed) {
  const auto lines = split_lines(crontab);
  const std::string marker = cron_marker(name);
  std::string out;
  bool found = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == marker) {
      found = true;
      // The job line goes with its marker, unless someone put another
      // marker or nothing there.
      if (i + 1 < lines.size() && lines[i + 1].rfind("# ", 0) != 0) ++i;
      continue;
    }
    out += lines[i];
    out += '\n';
  }
  // A crontab without a final newline stays that way (its last line is not
  // ours, or it would have been dropped).
  if (!crontab.empty() && crontab.back() != '\n' && !out.empty() && !found) out.pop_back();
  if (removed) *removed = found;
  return out;
}

std::string cron_install(std::string_view crontab, std::string_view name, std::string_view line) {
  std::string out = cron_remove(crontab, name);
  // cron ignores a last line without a newline: ours must not follow one.
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += cron_marker(name);
  out += '\n';
  out += line;
  out += '\n';
  return out;
}

namespace {

constexpr std::string_view k_utc_now = "$(date -u +%Y-%m-%dT%H:%M:%SZ)";

// "2026-12-02T02:30:00Z", as `date -u +%Y-%m-%dT%H:%M:%SZ` writes it.
bool is_utc_time(std::string_view text) {
  constexpr std::string_view shape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != shape.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 'd' ? !is_digit(text[i]) : text[i] != shape[i]) return false;
  return true;
}

std::optional<int> parse_status(std::string_view text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

} // namespace

std::string cron_shell_command(std::string_view name, const std::vector<std::string>& command,
                               std::string_view log) {
  // `name` is a job name (letters, digits, '-'). The status is kept in rc
  // and returned after the redirected group, so the job's status is the
  // command's even when the exit line cannot be written.
  return fmt::format("{{ echo \"== {} {} start\"; {}; rc=$?; echo \"== {} exit $rc\"; }} >>{} "
                     "2>&1; exit $rc",
                     k_utc_now, name, sh_join(command), k_utc_now, sh_quote(log));
}

std::optional<LastRun> cron_last_run(std::string_view log, std::string_view name) {
  const std::string start_suffix = fmt::format(" {} start", name);
  // Backwards: the last exit line, or a start line after it (a run that is
  // still going, or was killed before it could write its exit line).
  std::optional<LastRun> run;
  const auto lines = split_lines(log);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    const std::string_view line = *it;
    if (!line.starts_with("== ") || line.size() < 3 + 20) continue;
    const std::string_view time = line.substr(3, 20);
    const std::string_view rest = line.substr(23);
    if (!is_utc_time(time)) continue;
    if (rest == start_suffix) {
      if (!run) run.emplace();
      run->started = std::string(time);
      return run;
    }
    if (!run && rest.starts_with(" exit ")) {
      if (const auto status = parse_status(rest.substr(6))) {
        run.emplace();
        run->finished = std::string(time);
        run->exit_status = status;
      }
    }
  }
  return run; // an exit line whose start is further back than `log` reaches
}

std::optional<LastRun> systemd_last_run(std::string_view show_output) {
  LastRun run;
  for (const auto line : split_lines(show_output)) {
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "Result") run.result = std::string(value);
    if (key == "ExecMainStatus") run.exit_status = parse_status(value);
    if (key == "ExecMainStartTimestamp") run.started = std::string(value);
    if (key == "ExecMainExitTimestamp") run.finished = std::string(value);
  }
  if (run.started.empty()) return std::nullopt; // never ran
  if (run.finished.empty()) run.exit_status.reset();
  return run;
}

std::string systemd_service_text(std::string_view description,
                                 const std::vector<std::string>& command) {
  return fmt::format("# Written by \"offsite schedule install\"; \"offsite schedule remove\" "
                     "deletes it.\n"
                     "[Unit]\n"
                     "Description={}\n"
                     "\n"
                     "[Service]\n"
                     "Type=oneshot\n"
                     "ExecStart={}\n"
                     "Nice=10\n"
                     "IOSchedulingClass=idle\n",
                     description, systemd_join(command));
}

std::string systemd_timer_text(std::string_view description, const DailyTime& time) {
  // Persistent: a run missed while the machine was off happens at the next
  // start, as anacron would do it.
  return fmt::format("# Written by \"offsite schedule install\"; \"offsite schedule remove\" "
                     "deletes it.\n"
                     "[Unit]\n"
                     "Description={}\n"
                     "\n"
                     "[Timer]\n"
                     "OnCalendar=*-*-* {}:00\n"
                     "Persistent=true\n"
                     "\n"
                     "[Install]\n"
                     "WantedBy=timers.target\n",
                     description, time.text());
}

std::string unit_value(std::string_view unit_text, std::string_view key) {
  for (const auto line : split_lines(unit_text))
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == '=')
      return std::string(line.substr(key.size() + 1));
  return {};
}

std::optional<DailyTime> timer_daily_time(std::string_view timer_text) {
  const std::string value = unit_value(timer_text, "OnCalendar");
  constexpr std::string_view prefix = "*-*-* ";
  if (value.rfind(prefix, 0) != 0 || value.size() != prefix.size() + 8) return std::nullopt;
  return parse_daily_time(std::string_view(value).substr(prefix.size(), 5));
}

} // namespace offsite::cli
