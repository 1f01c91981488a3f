#include "core/maintenance/retention.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::core {

namespace {

std::tm local_tm(std::int64_t time_ns) {
  // Floor division: a snapshot before 1970 still lands in the right second.
  std::int64_t seconds = time_ns / k_ns_per_second;
  if (time_ns % k_ns_per_second < 0) --seconds;
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

// Bucket keys as restic's: YYYYMMDDHH, YYYYMMDD, ISO YYYYWW, YYYYMM, YYYY.
std::int64_t bucket_hour(const std::tm& tm) {
  return (tm.tm_year + 1900) * 1'000'000LL + (tm.tm_mon + 1) * 10'000LL + tm.tm_mday * 100LL +
         tm.tm_hour;
}
std::int64_t bucket_day(const std::tm& tm) {
  return (tm.tm_year + 1900) * 10'000LL + (tm.tm_mon + 1) * 100LL + tm.tm_mday;
}
std::int64_t bucket_week(const std::tm& tm) {
  // ISO 8601: weeks start on Monday; week 1 holds the year's first Thursday,
  // so 1 January can belong to the previous year's week 52 or 53.
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%G%V", &tm);
  std::int64_t value = 0;
  std::from_chars(buffer, buffer + std::char_traits<char>::length(buffer), value);
  return value;
}
std::int64_t bucket_month(const std::tm& tm) {
  return (tm.tm_year + 1900) * 100LL + (tm.tm_mon + 1);
}
std::int64_t bucket_year(const std::tm& tm) { return tm.tm_year + 1900; }

bool has_all_tags(const Snapshot& s, std::string_view list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view tag = list.substr(start, comma - start);
    if (!tag.empty() && std::find(s.tags.begin(), s.tags.end(), tag) == s.tags.end()) return false;
    start = comma + 1;
  }
  return true;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace

std::string CalendarDuration::to_string() const {
  std::string out;
  if (years) out += fmt::format("{}y", years);
  if (months) out += fmt::format("{}m", months);
  if (days) out += fmt::format("{}d", days);
  if (hours || out.empty()) out += fmt::format("{}h", hours);
  return out;
}

CalendarDuration parse_calendar_duration(std::string_view text, std::string_view flag) {
  const auto bad = [&] {
    return Error(Code::usage, fmt::format("{} \"{}\" is not a duration", flag, text),
                 "write it as numbers with units y (years), m (months), d (days), h (hours), "
                 "e.g. 30d or 1y6m");
  };
  CalendarDuration d;
  std::size_t i = 0;
  if (text.empty()) throw bad();
  while (i < text.size()) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data() + i || value < 0) throw bad();
    i = static_cast<std::size_t>(end - text.data());
    if (i >= text.size()) throw bad(); // a number without a unit
    switch (text[i++]) {
    case 'y': d.years += value; break;
    case 'm': d.months += value; break;
    case 'd': d.days += value; break;
    case 'h': d.hours += value; break;
    default: throw bad();
    }
  }
  return d;
}

std::int64_t subtract_calendar(std::int64_t time_ns, const CalendarDuration& d) {
  std::tm tm = local_tm(time_ns);
  tm.tm_year -= d.years;
  tm.tm_mon -= d.months;
  tm.tm_mday -= d.days;
  tm.tm_isdst = -1; // the date moved: let mktime find its offset
  const std::time_t moved = std::mktime(&tm);
  std::int64_t sub_second = time_ns % k_ns_per_second;
  if (sub_second < 0) sub_second += k_ns_per_second;
  return static_cast<std::int64_t>(moved) * k_ns_per_second + sub_second -
         d.hours * 3600LL * k_ns_per_second;
}

bool RetentionPolicy::empty() const {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 &&
         within.zero() && keep_tags.empty();
}

GroupBy parse_group_by(std::string_view text) {
  GroupBy by{false, false, false};
  std::size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view field = text.substr(start, comma - start);
    if (field == "host")
      by.host = true;
    else if (field == "paths")
      by.paths = true;
    else if (field == "tags")
      by.tags = true;
    else
      throw Error(Code::usage, fmt::format("--group-by: \"{}\" is not a field", field),
                  "use any of host, paths and tags separated by commas, or '' for one group");
    start = comma + 1;
  }
  return by;
}

std::vector<SnapshotGroup> group_snapshots(std::vector<Snapshot> snapshots, const GroupBy& by) {
  using Key = std::tuple<std::string, std::vector<std::string>, std::vector<std::string>>;
  std::map<Key, SnapshotGroup> groups;
  for (auto& s : snapshots) {
    Key key{by.host ? s.host : std::string(),
            by.paths ? sorted(s.paths) : std::vector<std::string>{},
            by.tags ? sorted(s.tags) : std::vector<std::string>{}};
    auto [it, added] = groups.try_emplace(key);
    if (added) {
      it->second.host = std::get<0>(key);
      it->second.paths = std::get<1>(key);
      it->second.tags = std::get<2>(key);
    }
    it->second.snapshots.push_back(std::move(s));
  }
  std::vector<SnapshotGroup> out;
  for (auto& [key, group] : groups) {
    std::stable_sort(group.snapshots.begin(), group.snapshots.end(),
                     [](const Snapshot& a, const Snapshot& b) {
                       return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.id > b.id;
                     });
    out.push_back(std::move(group));
  }
  return out;
}

RetentionResult apply_retention(const std::vector<Snapshot>& group, const RetentionPolicy& policy,
                                std::int64_t now_ns) {
  if (policy.empty())
    throw Error(Code::usage, "no policy given: forget would remove every snapshot",
                "give --keep-last, --keep-daily, ... or name the snapshots to forget by ID");
  for (const int count :
       {policy.last, policy.hourly, policy.daily, policy.weekly, policy.monthly, policy.yearly})
    if (count < -1)
      throw Error(Code::usage, fmt::format("a --keep-* count of {} makes no sense", count),
                  "give a number of snapshots, or -1 for all");

  std::vector<Snapshot> list = group;
  std::stable_sort(list.begin(), list.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.id > b.id;
  });

  struct Bucket {
    int count;
    std::int64_t (*key)(const std::tm&); // nullptr: every snapshot is its own bucket
    const char* reason;
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
  };
  std::array<Bucket, 6> buckets{{{policy.last, nullptr, "last snapshot"},
                                 {policy.hourly, bucket_hour, "hourly snapshot"},
                                 {policy.daily, bucket_day, "daily snapshot"},
                                 {policy.weekly, bucket_week, "weekly snapshot"},
                                 {policy.monthly, bucket_month, "monthly snapshot"},
                                 {policy.yearly, bucket_year, "yearly snapshot"}}};

  // The newest snapshot not in the future is what --keep-within counts from.
  std::optional<std::int64_t> latest;
  for (const auto& s : list)
    if (s.time_ns < now_ns && (!latest || s.time_ns > *latest)) latest = s.time_ns;
  std::optional<std::int64_t> within_limit;
  if (!policy.within.zero())
    within_limit = latest ? subtract_calendar(*latest, policy.within)
                          : std::numeric_limits<std::int64_t>::min();

  RetentionResult result;
  for (std::size_t nr = 0; nr < list.size(); ++nr) {
    const Snapshot& cur = list[nr];
    std::vector<std::string> reasons;
    for (const auto& tags : policy.keep_tags)
      if (has_all_tags(cur, tags)) reasons.push_back("tag " + tags);
    if (within_limit && cur.time_ns > *within_limit)
      reasons.push_back("within " + policy.within.to_string());

    const std::tm tm = local_tm(cur.time_ns);
    const bool oldest = nr + 1 == list.size();
    for (auto& b : buckets) {
      if (b.count == 0) continue;
      const std::int64_t value = b.key ? b.key(tm) : static_cast<std::int64_t>(nr);
      // The oldest snapshot is kept while a count is left: that stretches
      // the history kept when there are fewer buckets than asked for.
      if (value == b.last && !oldest) continue;
      reasons.push_back(value == b.last ? std::string("oldest ") + b.reason : b.reason);
      b.last = value;
      if (b.count > 0) --b.count;
    }
    (reasons.empty() ? result.remove : result.keep).push_back({cur, std::move(reasons)});
  }
  return result;
}

} // namespace offsite::core
