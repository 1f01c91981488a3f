#include "cli/ui/time_parse.hpp"

#include <ctime>

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::cli {

std::int64_t parse_time(std::string_view text, std::string_view flag) {
  const std::string value(text);
  std::tm tm{};
  if (const char* end = strptime(value.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm); end && *end == '\0')
    return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000'000;
  // Local time, as every table shows it (snapshots, ls -l, key list).
  for (const char* format : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
    tm = std::tm{};
    const char* end = strptime(value.c_str(), format, &tm);
    if (end && *end == '\0') {
      tm.tm_isdst = -1;
      return static_cast<std::int64_t>(std::mktime(&tm)) * 1'000'000'000;
    }
  }
  throw Error(Code::usage, fmt::format("{} \"{}\" is not a time", flag, value),
              "write it as \"YYYY-MM-DD HH:MM:SS\" (local time, as \"offsite snapshots\" "
              "shows it) or \"YYYY-MM-DDTHH:MM:SSZ\" (UTC)");
}

std::chrono::seconds parse_duration(std::string_view text, std::string_view flag) {
  const auto bad = [&] {
    return Error(Code::usage, fmt::format("{} \"{}\" is not a duration", flag, text),
                 "write it as a number with a unit: 90s, 10m, 1h, 2d (or 1h30m)");
  };
  if (text.empty()) throw bad();
  std::int64_t total = 0;
  std::int64_t number = 0;
  bool have_digits = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      if (number > 100'000'000) throw bad();
      number = number * 10 + (c - '0');
      have_digits = true;
      continue;
    }
    std::int64_t unit = 0;
    switch (c) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: throw bad();
    }
    if (!have_digits) throw bad();
    total += number * unit;
    number = 0;
    have_digits = false;
  }
  if (have_digits) throw bad(); // a trailing number without a unit
  return std::chrono::seconds(total);
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
