#include "core/common/crash_point.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include <atomic>

namespace offsite::core {

namespace {

struct CrashTarget {
  std::string name; // empty: no crash point is armed
  long hit = 1;     // fire on this run of the named point
};

CrashTarget parse_target() {
  const char* text = std::getenv("OFFSITE_TEST_CRASH_AT");
  if (text == nullptr || *text == '\0') return {};
  CrashTarget target{text, 1};
  if (const auto colon = target.name.rfind(':'); colon != std::string::npos) {
    char* end = nullptr;
    const long hit = std::strtol(target.name.c_str() + colon + 1, &end, 10);
    // A malformed count arms nothing rather than firing somewhere unexpected.
    if (end == nullptr || *end != '\0' || hit < 1) return {};
    target.hit = hit;
    target.name.resize(colon);
  }
  return target;
}

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

} // namespace

void crash_point(std::string_view name) {
  static const CrashTarget target = parse_target();
  static std::atomic<long> hits{0};
  if (target.name.empty() || name != target.name) return;
  if (hits.fetch_add(1) + 1 != target.hit) return;
  write_stderr("offsite test hook: crash point ");
  write_stderr(name);
  write_stderr(" reached (OFFSITE_TEST_CRASH_AT); killing the process\n");
  std::raise(SIGKILL);
  std::_Exit(137); // not reached: SIGKILL cannot be caught
}

} // namespace offsite::core
