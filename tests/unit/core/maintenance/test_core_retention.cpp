#include <doctest/doctest.h>

#include <ctime>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/maintenance/retention.hpp"
#include "tests/unit/scoped_env.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

constexpr std::int64_t k_ns = 1'000'000'000;
constexpr std::int64_t k_far_future = std::int64_t{4'000'000'000} * k_ns;

// The retention rules cut buckets in local time; localtime_r does not
// re-read TZ on its own, so every case sets it and calls tzset.
class ScopedTz {
public:
  explicit ScopedTz(const char* tz) {
    m_env.emplace("TZ", std::string(tz));
    ::tzset();
  }
  ~ScopedTz() {
    m_env.reset();
    ::tzset();
  }
  ScopedTz(const ScopedTz&) = delete;
  ScopedTz& operator=(const ScopedTz&) = delete;

private:
  std::optional<test::ScopedEnv> m_env;
};

std::int64_t utc(int year, int month, int day, int hour = 0, int minute = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return static_cast<std::int64_t>(timegm(&tm)) * k_ns;
}

std::string day_of(std::int64_t time_ns) {
  const auto t = static_cast<std::time_t>(time_ns / k_ns);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &tm);
  return buffer;
}

Snapshot snap(std::int64_t time_ns, std::string host = "web1", std::vector<std::string> tags = {}) {
  Snapshot s;
  s.time_ns = time_ns;
  s.id = fmt::format("{:064x}", time_ns);
  s.host = std::move(host);
  s.paths = {"/srv"};
  s.tags = std::move(tags);
  return s;
}

// "YYYY-MM-DD HH:MM" -> reasons joined with "+", for exact comparison.
std::map<std::string, std::string> kept(const RetentionResult& r) {
  std::map<std::string, std::string> out;
  for (const auto& d : r.keep) {
    std::string reasons;
    for (const auto& reason : d.reasons)
      reasons += (reasons.empty() ? "" : "+") + reason;
    out[day_of(d.snapshot.time_ns)] = reasons;
  }
  return out;
}

} // namespace

TEST_SUITE_BEGIN("core::Retention");

TEST_CASE("given two years of daily snapshots, a mixed policy keeps exactly the bucket heads") {
  ScopedTz tz("UTC");
  std::vector<Snapshot> list;
  for (std::int64_t t = utc(2023, 1, 1, 3); t <= utc(2024, 12, 31, 3); t += 86400 * k_ns)
    list.push_back(snap(t));
  REQUIRE(list.size() == 731);
  RetentionPolicy policy;
  policy.last = 2;
  policy.daily = 5;
  policy.weekly = 3;
  policy.monthly = 4;
  policy.yearly = 3;
  const auto result = apply_retention(list, policy, k_far_future);

  // By hand: 2024-12-31 is a Tuesday of ISO week 2025-W01 (with 12-30);
  // 12-29 closes 2024-W52, 12-22 closes W51. Months end on their last day.
  // The yearly count has one left when the list ends, so the oldest
  // snapshot is kept too.
  const std::map<std::string, std::string> expected = {
      {"2024-12-31 03:00",
       "last snapshot+daily snapshot+weekly snapshot+monthly snapshot+yearly snapshot"},
      {"2024-12-30 03:00", "last snapshot+daily snapshot"},
      {"2024-12-29 03:00", "daily snapshot+weekly snapshot"},
      {"2024-12-28 03:00", "daily snapshot"},
      {"2024-12-27 03:00", "daily snapshot"},
      {"2024-12-22 03:00", "weekly snapshot"},
      {"2024-11-30 03:00", "monthly snapshot"},
      {"2024-10-31 03:00", "monthly snapshot"},
      {"2024-09-30 03:00", "monthly snapshot"},
      {"2023-12-31 03:00", "yearly snapshot"},
      {"2023-01-01 03:00", "oldest yearly snapshot"},
  };
  CHECK(kept(result) == expected);
  CHECK(result.keep.size() == 11);
  CHECK(result.remove.size() == 720);
  for (const auto& d : result.remove)
    CHECK(d.reasons.empty());
  // Newest first in both lists.
  CHECK(result.keep.front().snapshot.time_ns == utc(2024, 12, 31, 3));
  CHECK(result.remove.front().snapshot.time_ns == utc(2024, 12, 26, 3));
  CHECK(result.remove.back().snapshot.time_ns == utc(2023, 1, 2, 3));
}

TEST_CASE("given several snapshots a day, the newest of each day is the daily one") {
  ScopedTz tz("UTC");
  const std::vector<Snapshot> list = {snap(utc(2024, 5, 1, 8)), snap(utc(2024, 5, 1, 20)),
                                      snap(utc(2024, 5, 2, 9)), snap(utc(2024, 5, 2, 23, 59)),
                                      snap(utc(2024, 5, 3, 0, 1))};
  RetentionPolicy policy;
  policy.daily = 2;
  const auto result = apply_retention(list, policy, k_far_future);
  CHECK(kept(result) == std::map<std::string, std::string>{
                            {"2024-05-03 00:01", "daily snapshot"},
                            {"2024-05-02 23:59", "daily snapshot"},
                        });
  CHECK(result.remove.size() == 3);
}

TEST_CASE("given a time zone, days are cut at local midnight") {
  // 2024-05-02 23:30 UTC is already 3 May in UTC+2 (POSIX TZ signs are
  // inverted: "XYZ-2" is two hours east of Greenwich).
  // (The first snapshot is the oldest, so the "oldest" rule keeps nothing extra.)
  const std::vector<Snapshot> list = {snap(utc(2024, 5, 1, 12)), snap(utc(2024, 5, 2, 21)),
                                      snap(utc(2024, 5, 2, 23, 30))};
  RetentionPolicy policy;
  policy.daily = 5;
  {
    ScopedTz tz("UTC");
    const auto result = apply_retention(list, policy, k_far_future);
    CHECK(result.keep.size() == 2);
    REQUIRE(result.remove.size() == 1);
    CHECK(result.remove[0].snapshot.time_ns == utc(2024, 5, 2, 21));
  }
  {
    ScopedTz tz("XYZ-2");
    CHECK(apply_retention(list, policy, k_far_future).keep.size() == 3);
  }
}

TEST_CASE("given a count left at the end, the oldest snapshot is kept even in a kept bucket") {
  ScopedTz tz("UTC");
  const std::vector<Snapshot> list = {snap(utc(2024, 5, 1, 8)), snap(utc(2024, 5, 1, 20)),
                                      snap(utc(2024, 5, 2, 9))};
  RetentionPolicy policy;
  policy.daily = 3;
  CHECK(kept(apply_retention(list, policy, k_far_future)) ==
        std::map<std::string, std::string>{
            {"2024-05-02 09:00", "daily snapshot"},
            {"2024-05-01 20:00", "daily snapshot"},
            {"2024-05-01 08:00", "oldest daily snapshot"},
        });
  // With the count used up, it goes like any other.
  policy.daily = 2;
  CHECK(apply_retention(list, policy, k_far_future).remove.size() == 1);
}

TEST_CASE("given fewer snapshots than the count, all are kept and none twice as oldest") {
  ScopedTz tz("UTC");
  const std::vector<Snapshot> list = {snap(utc(2024, 1, 1)), snap(utc(2024, 2, 1)),
                                      snap(utc(2024, 3, 1))};
  RetentionPolicy policy;
  policy.monthly = 12;
  const auto result = apply_retention(list, policy, k_far_future);
  CHECK(kept(result) == std::map<std::string, std::string>{
                            {"2024-03-01 00:00", "monthly snapshot"},
                            {"2024-02-01 00:00", "monthly snapshot"},
                            {"2024-01-01 00:00", "monthly snapshot"},
                        });
  CHECK(result.remove.empty());
}

TEST_CASE("given hourly and a count of -1, every hour is kept") {
  ScopedTz tz("UTC");
  const std::vector<Snapshot> list = {snap(utc(2024, 1, 1, 9, 0)), snap(utc(2024, 1, 1, 10, 5)),
                                      snap(utc(2024, 1, 1, 10, 50)), snap(utc(2024, 1, 1, 11, 0)),
                                      snap(utc(2024, 1, 1, 13, 0))};
  RetentionPolicy policy;
  policy.hourly = -1;
  const auto result = apply_retention(list, policy, k_far_future);
  CHECK(result.keep.size() == 4);
  REQUIRE(result.remove.size() == 1);
  CHECK(result.remove[0].snapshot.time_ns == utc(2024, 1, 1, 10, 5));
}

TEST_CASE("given --keep-within, it counts back from the newest snapshot, not from now") {
  ScopedTz tz("UTC");
  const std::vector<Snapshot> list = {snap(utc(2023, 12, 31)), snap(utc(2024, 1, 31)),
                                      snap(utc(2024, 2, 1)), snap(utc(2024, 3, 1)),
                                      snap(utc(2024, 3, 31))};
  RetentionPolicy policy;
  policy.within = parse_calendar_duration("2m", "--keep-within");
  // Newest 2024-03-31 minus two calendar months is 31 January 00:00; only
  // what is strictly after it is kept (restic's rule), so not 31 January.
  const auto result = apply_retention(list, policy, k_far_future);
  CHECK(kept(result) == std::map<std::string, std::string>{
                            {"2024-03-31 00:00", "within 2m"},
                            {"2024-03-01 00:00", "within 2m"},
                            {"2024-02-01 00:00", "within 2m"},
                        });
  CHECK(result.remove.size() == 2);
  // A snapshot from the future does not move the reference point.
  auto with_future = list;
  with_future.push_back(snap(utc(2030, 1, 1)));
  const auto later = apply_retention(with_future, policy, utc(2025, 1, 1));
  CHECK(later.keep.size() == 4);
}

TEST_CASE("given --keep-tag a,b, only snapshots with both tags are kept for it") {
  ScopedTz tz("UTC");
  const std::vector<Snapshot> list = {
      snap(utc(2024, 1, 1), "web1", {"a"}), snap(utc(2024, 1, 2), "web1", {"a", "b"}),
      snap(utc(2024, 1, 3), "web1", {"b", "c", "a"}), snap(utc(2024, 1, 4), "web1", {"nightly"})};
  RetentionPolicy policy;
  policy.keep_tags = {"a,b", "nightly"};
  const auto result = apply_retention(list, policy, k_far_future);
  CHECK(kept(result) == std::map<std::string, std::string>{
                            {"2024-01-04 00:00", "tag nightly"},
                            {"2024-01-03 00:00", "tag a,b"},
                            {"2024-01-02 00:00", "tag a,b"},
                        });
}

TEST_CASE("given an empty policy, apply_retention refuses instead of removing everything") {
  const std::vector<Snapshot> list = {snap(utc(2024, 1, 1))};
  try {
    apply_retention(list, RetentionPolicy{}, k_far_future);
    FAIL("an empty policy was applied");
  } catch (const Error& e) {
    CHECK(e.code() == Code::usage);
  }
  RetentionPolicy negative;
  negative.daily = -2;
  CHECK_THROWS_AS(apply_retention(list, negative, k_far_future), Error);
}

TEST_CASE("calendar durations parse, print and subtract like restic's") {
  const auto d = parse_calendar_duration("1y2m3d4h", "--keep-within");
  CHECK(d.years == 1);
  CHECK(d.months == 2);
  CHECK(d.days == 3);
  CHECK(d.hours == 4);
  CHECK(d.to_string() == "1y2m3d4h");
  CHECK(parse_calendar_duration("30d", "x").to_string() == "30d");
  for (const char* bad : {"", "30", "d", "3w", "-1d", "1.5d", "1d "})
    CHECK_THROWS_AS(parse_calendar_duration(bad, "--keep-within"), Error);
  ScopedTz tz("UTC");
  // 31 March minus a month: "31 February" normalises to 2 March (leap year).
  CHECK(subtract_calendar(utc(2024, 3, 31, 12), parse_calendar_duration("1m", "x")) ==
        utc(2024, 3, 2, 12));
  CHECK(subtract_calendar(utc(2024, 1, 1, 1) + 5, parse_calendar_duration("1d2h", "x")) ==
        utc(2023, 12, 30, 23) + 5);
}

TEST_CASE("group_snapshots groups by host and paths by default, sorted, newest first") {
  auto a1 = snap(utc(2024, 1, 1), "web2");
  auto a2 = snap(utc(2024, 1, 3), "web2");
  auto b1 = snap(utc(2024, 1, 2), "web1");
  auto c1 = snap(utc(2024, 1, 4), "web1");
  c1.paths = {"/srv", "/etc"};
  const auto groups = group_snapshots({a1, b1, c1, a2}, parse_group_by("host,paths"));
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].host == "web1");
  CHECK(groups[0].paths == std::vector<std::string>{"/etc", "/srv"});
  CHECK(groups[1].host == "web1");
  CHECK(groups[1].paths == std::vector<std::string>{"/srv"});
  CHECK(groups[2].host == "web2");
  REQUIRE(groups[2].snapshots.size() == 2);
  CHECK(groups[2].snapshots[0].time_ns == utc(2024, 1, 3));

  const auto one = group_snapshots({a1, b1, c1, a2}, parse_group_by(""));
  REQUIRE(one.size() == 1);
  CHECK(one[0].host.empty());
  CHECK(one[0].snapshots.size() == 4);
  CHECK(group_snapshots({a1, b1, c1}, parse_group_by("paths")).size() == 2);
  const auto by_tags = parse_group_by("tags");
  CHECK((!by_tags.host && !by_tags.paths && by_tags.tags));
  CHECK_THROWS_AS(parse_group_by("hosts"), Error);
}

TEST_SUITE_END();
