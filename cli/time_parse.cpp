#include "cli/time_parse.hpp"

#include <ctime>

#include <fmt/format.h>

#include "core/error.hpp"

namespace offsite::cli {

std::int64_t parse_time(std::string_view text, std::string_view flag) {
  const std::string value(text);
  for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(value.c_str(), format, &tm);
    if (end && *end == '\0') return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000'000;
  }
  throw Error(Code::usage, fmt::format("{} \"{}\" is not a time", flag, value),
              "write it as \"YYYY-MM-DD HH:MM:SS\" (UTC)");
}

std::string format_local_time(std::int64_t time_ns) {
  const std::time_t seconds = static_cast<std::time_t>(time_ns / 1'000'000'000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
  return buffer;
}

std::string format_utc_time(std::int64_t time_ns) {
  const std::time_t seconds = static_cast<std::time_t>(time_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09}Z", buffer, time_ns % 1'000'000'000);
}

} // namespace offsite::cli
