#include "cli/ui/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace offsite::cli {

Terminal::Terminal(const GlobalOptions& options)
    : m_json(options.json), m_quiet(options.quiet), m_verbose(options.verbose),
      m_progress(isatty(STDERR_FILENO) == 1 && !options.quiet && !options.no_progress),
      m_stdout_tty(isatty(STDOUT_FILENO) == 1), m_stderr_tty(isatty(STDERR_FILENO) == 1) {}

Terminal::~Terminal() { clear_progress(); }

void Terminal::out(std::string_view text) {
  if (m_json) return;
  clear_progress();
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Terminal::info(std::string_view text) {
  // Silent in cron: informational text only on a terminal or when asked for.
  if (m_quiet || m_json || (!m_stderr_tty && m_verbose < 1)) return;
  clear_progress();
  fmt::print(stderr, "{}\n", text);
}

void Terminal::detail(std::string_view text) {
  if (m_verbose < 1 || m_quiet) return;
  clear_progress();
  fmt::print(stderr, "{}\n", text);
}

void Terminal::warning(std::string_view text) {
  clear_progress();
  fmt::print(stderr, "offsite: warning: {}\n", text);
  if (m_json && m_streaming) emit({{"type", "warning"}, {"message", text}});
}

void Terminal::emit(nlohmann::json object) {
  if (!object.contains("schema")) object["schema"] = k_json_schema_version;
  // Names from the file system may not be UTF-8; replace rather than throw.
  const std::string line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

namespace {

// A few updates a second read well and cost nothing.
constexpr std::chrono::milliseconds k_progress_interval{250};

// Columns of the terminal on stderr (80 when it does not say).
std::size_t terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// At most `columns` characters of `line` (printable text: one column per
// UTF-8 character), never cutting one in half.
std::string_view clip(std::string_view line, std::size_t columns) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xc0) == 0x80) continue; // continuation byte
    if (chars++ == columns) return line.substr(0, i);
  }
  return line;
}

} // namespace

bool Terminal::progress_due() const {
  return m_progress && (!m_progress_shown ||
                        std::chrono::steady_clock::now() - m_last_progress >= k_progress_interval);
}

void Terminal::progress(std::string_view line) {
  if (!progress_due()) return;
  m_last_progress = std::chrono::steady_clock::now();
  // One column short of the width, so the line never wraps (wrapping breaks \r).
  const std::string_view clipped = clip(line, terminal_columns() - 1);
  fmt::print(stderr, "\r\x1b[K{}", clipped);
  std::fflush(stderr);
  m_progress_shown = true;
}

void Terminal::clear_progress() {
  if (!m_progress_shown) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  m_progress_shown = false;
}

bool Terminal::status_due(std::chrono::milliseconds interval) {
  const auto now = std::chrono::steady_clock::now();
  if (now - m_last_status < interval) return false;
  m_last_status = now;
  return true;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* k_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(k_units)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, k_units[unit]);
}

std::string format_duration(double seconds) {
  const long long total = std::llround(seconds);
  if (total < 60) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}:{:02}", total / 60, total % 60);
  return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
}

std::string count_of(std::uint64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

} // namespace offsite::cli
