#include "cli/schedule/schedule_system.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/schedule/subprocess.hpp"
#include "core/common/atomic_file.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::filesystem::path home() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_dir) return pw->pw_dir;
  throw Error(Code::config, "cannot find the home directory", "set HOME");
}

std::filesystem::path xdg(const char* variable, const char* fallback) {
  if (const char* dir = std::getenv(variable); dir && *dir && dir[0] == '/') return dir;
  return home() / fallback;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

[[noreturn]] void program_failed(const std::vector<std::string>& argv, const ProcessResult& r,
                                 std::string_view hint) {
  std::string command;
  for (const auto& a : argv)
    command += (command.empty() ? "" : " ") + a;
  const std::string why =
      r.timed_out ? "it did not finish in time" : trimmed(r.err.empty() ? r.out : r.err);
  throw Error(Code::generic,
              fmt::format("\"{}\" failed (exit status {}): {}", command, r.exit_status, why),
              std::string(hint));
}

ProcessResult systemctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {systemctl_program(), "--user"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv);
  if (r.exit_status != 0)
    program_failed(argv, r, "check \"systemctl --user status\"; or use --method cron");
  return r;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

// ---- cron ----

std::string crontab_program() { return env_or("OFFSITE_CRONTAB", "crontab"); }

bool cron_available() { return program_exists(crontab_program()); }

std::string read_crontab() {
  const std::vector<std::string> argv = {crontab_program(), "-l"};
  const auto r = run_process(argv);
  if (r.exit_status == 0) return r.out;
  // Debian's crontab says "no crontab for USER" and exits 1.
  if (r.exit_status == 1 && r.err.find("no crontab for") != std::string::npos) return {};
  program_failed(argv, r, "check that cron is installed and that you may use it");
}

void write_crontab(const std::string& text) {
  // A private temporary file, not stdin: `crontab FILE` is the one form
  // every cron implementation knows.
  std::string templ = (std::filesystem::temp_directory_path() / "offsite-crontab-XXXXXX").string();
  const int fd = mkstemp(templ.data());
  if (fd < 0) throw_errno("cannot create a temporary file for the crontab", errno);
  const ssize_t n = write(fd, text.data(), text.size());
  const int err = errno;
  close(fd);
  if (n < 0 || static_cast<std::size_t>(n) != text.size()) {
    unlink(templ.c_str());
    throw_errno("cannot write the new crontab", n < 0 ? err : ENOSPC);
  }
  const std::vector<std::string> argv = {crontab_program(), templ};
  const auto r = run_process(argv);
  unlink(templ.c_str());
  if (r.exit_status != 0)
    program_failed(argv, r, "check that cron is installed and that you may use it");
}

std::filesystem::path cron_log_file(const std::string& name) {
  return xdg("XDG_STATE_HOME", ".local/state") / "offsite" / (name + ".log");
}

std::optional<LastRun> cron_log_last_run(const std::string& name) {
  // Only the end: the log grows by every run's output and is never cut.
  constexpr std::streamoff k_tail = std::streamoff{256} * 1024;
  std::ifstream in(cron_log_file(name), std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > k_tail ? size - k_tail : 0;
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<std::size_t>(in.gcount()));
  if (from > 0) { // the first line is cut
    const auto newline = tail.find('\n');
    tail.erase(0, newline == std::string::npos ? tail.size() : newline + 1);
  }
  return cron_last_run(tail, name);
}

// ---- systemd ----

std::string systemctl_program() { return env_or("OFFSITE_SYSTEMCTL", "systemctl"); }

bool systemd_user_available() {
  if (!program_exists(systemctl_program())) return false;
  return run_process({systemctl_program(), "--user", "show-environment"}, std::chrono::seconds(10))
             .exit_status == 0;
}

std::filesystem::path systemd_unit_dir() {
  return xdg("XDG_CONFIG_HOME", ".config") / "systemd" / "user";
}

InstalledUnits systemd_install(const std::string& name, const std::string& description,
                               const DailyTime& time, const std::vector<std::string>& command,
                               bool activate) {
  const auto dir = systemd_unit_dir();
  std::filesystem::create_directories(dir);
  InstalledUnits units;
  units.service = dir / (name + ".service");
  units.timer = dir / (name + ".timer");
  const std::string service = systemd_service_text(description, command);
  core::write_file_atomically(units.service, service, 0644);
  core::write_file_atomically(
      units.timer,
      systemd_timer_text(fmt::format("{} daily at {}", description, time.text()), time), 0644);
  units.exec_start = unit_value(service, "ExecStart");
  units.daily = time;
  if (activate) {
    systemctl({"daemon-reload"});
    systemctl({"enable", "--now", name + ".timer"});
  }
  return units;
}

std::optional<InstalledUnits> systemd_find(const std::string& name) {
  const auto dir = systemd_unit_dir();
  InstalledUnits units{dir / (name + ".service"), dir / (name + ".timer"), {}, {}};
  std::error_code ec;
  if (!std::filesystem::exists(units.timer, ec) && !std::filesystem::exists(units.service, ec))
    return std::nullopt;
  units.exec_start = unit_value(read_text(units.service), "ExecStart");
  units.daily = timer_daily_time(read_text(units.timer));
  return units;
}

bool systemd_remove(const std::string& name) {
  const auto found = systemd_find(name);
  if (!found) return false;
  const bool have_systemctl = systemd_user_available();
  // Stopped before its files go, or systemd keeps a timer without a unit.
  if (have_systemctl) systemctl({"disable", "--now", name + ".timer"});
  std::error_code ec;
  std::filesystem::remove(found->timer, ec);
  std::filesystem::remove(found->service, ec);
  if (have_systemctl) systemctl({"daemon-reload"});
  return true;
}

std::string systemd_status(const std::string& name) {
  if (!systemd_user_available()) return {};
  const auto service = run_process({systemctl_program(), "--user", "show", name + ".service", "-p",
                                    "Result", "-p", "ExecMainStatus"});
  const auto timer = run_process(
      {systemctl_program(), "--user", "show", name + ".timer", "-p", "NextElapseUSecRealtime"});
  std::string out = trimmed(service.out) + "\n" + trimmed(timer.out);
  for (auto& c : out)
    if (c == '\n') c = ' ';
  return trimmed(out);
}

std::optional<LastRun> systemd_service_last_run(const std::string& name) {
  if (!systemd_user_available()) return std::nullopt;
  const auto r =
      run_process({systemctl_program(), "--user", "show", name + ".service", "-p", "Result", "-p",
                   "ExecMainStatus", "-p", "ExecMainStartTimestamp", "-p", "ExecMainExitTimestamp"},
                  std::chrono::seconds(10));
  if (r.exit_status != 0) return std::nullopt;
  return systemd_last_run(r.out);
}

std::optional<bool> systemd_linger() {
  if (!program_exists("loginctl")) return std::nullopt;
  const auto r = run_process({"loginctl", "show-user", std::to_string(getuid()), "-p", "Linger"},
                             std::chrono::seconds(10));
  if (r.exit_status != 0) return std::nullopt;
  if (r.out.find("Linger=yes") != std::string::npos) return true;
  if (r.out.find("Linger=no") != std::string::npos) return false;
  return std::nullopt;
}

} // namespace offsite::cli
