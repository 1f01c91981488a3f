#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace offsite::cli {

// "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (local time, TZ: what people read
// in the tables) or "YYYY-MM-DDTHH:MM:SSZ" (UTC, as JSON prints it) to
// nanoseconds since the epoch. Error(usage) naming `flag` otherwise.
std::int64_t parse_time(std::string_view text, std::string_view flag);

// "90s", "10m", "1h", "2d" (or a combination such as "1h30m") to a
// duration. Error(usage) naming `flag` otherwise.
std::chrono::seconds parse_duration(std::string_view text, std::string_view flag);

// Local time "YYYY-MM-DD HH:MM:SS" for tables: every human table shows local
// time, every JSON document UTC.
std::string format_local_time(std::int64_t time_ns);
// RFC 3339 UTC with nanoseconds, for JSON.
std::string format_utc_time(std::int64_t time_ns);

} // namespace offsite::cli
