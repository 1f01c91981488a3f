#pragma once
// Retention policies (forget): which snapshots of a group to keep, and why.
// A pure function of the snapshots, the policy and the clock, as restic's
// forget: the newest snapshot of each hour/day/ISO week/month/year bucket is
// kept, for up to N buckets of each kind, with buckets cut by local time (TZ),
// so "daily" means the user's days. Grouping (by host and paths by default)
// happens first, and each group gets the policy on its own.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/format/snapshot.hpp"

namespace offsite::core {

// A calendar duration as --keep-within takes it: "30d", "1y6m", "2d12h".
// Months and years are calendar ones (subtracted with the local calendar),
// not fixed numbers of seconds.
struct CalendarDuration {
  int years = 0;
  int months = 0;
  int days = 0;
  int hours = 0;

  bool zero() const { return years == 0 && months == 0 && days == 0 && hours == 0; }
  // "1y6m", "30d"; "0h" for zero.
  std::string to_string() const;
};

// Error(usage) naming `flag` unless `text` is one or more of <N>y, <N>m,
// <N>d, <N>h (in that kind of form, e.g. "1y2m3d4h").
CalendarDuration parse_calendar_duration(std::string_view text, std::string_view flag);

// `time_ns` moved back by `d` in local time (mktime normalises overflow, so
// 31 March minus one month is 3 March, as Go's AddDate does for restic).
std::int64_t subtract_calendar(std::int64_t time_ns, const CalendarDuration& d);

// Counts are numbers of buckets; 0 = this rule is off, -1 = no limit.
struct RetentionPolicy {
  int last = 0;
  int hourly = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
  int yearly = 0;
  CalendarDuration within;            // keep everything this close to the newest
  std::vector<std::string> keep_tags; // each "a,b": keep snapshots having both a and b

  bool empty() const;
};

struct GroupBy {
  bool host = true;
  bool paths = true;
  bool tags = false;
};

// "host,paths" (default), any comma-separated subset of host, paths and
// tags, or "" for one group. Error(usage) for anything else.
GroupBy parse_group_by(std::string_view text);

struct SnapshotGroup {
  // Only the fields grouped by are filled; paths and tags sorted.
  std::string host;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::vector<Snapshot> snapshots; // newest first
};

// Groups sorted by (host, paths, tags).
std::vector<SnapshotGroup> group_snapshots(std::vector<Snapshot> snapshots, const GroupBy& by);

struct RetentionDecision {
  Snapshot snapshot;
  std::vector<std::string> reasons; // empty for removed snapshots
};

struct RetentionResult {
  std::vector<RetentionDecision> keep;   // newest first
  std::vector<RetentionDecision> remove; // newest first
};

// Applies `policy` to one group. `now_ns` keeps a snapshot dated in the
// future (a wrong clock) from becoming the reference for --keep-within.
// Reasons: "last snapshot", "hourly snapshot", ..., "yearly snapshot" (with
// "oldest " before it when the group ran out of snapshots before the count
// did and its oldest one is kept to stretch the history, as restic does),
// "within 30d", "tag nightly".
// Throws Error(usage) for an empty policy: forgetting everything must be
// asked for by snapshot ID, never happen because no rule was given.
RetentionResult apply_retention(const std::vector<Snapshot>& group, const RetentionPolicy& policy,
                                std::int64_t now_ns);

} // namespace offsite::core
