#pragma once
// "Which snapshot do you mean", answered in this one place for every command
// (snapshots, forget, restore, ls, diff), so "--host web1" and "latest" mean
// the same everywhere (restic's semantics):
//   --host H   any of the given hosts (repeatable)
//   --tag T    a snapshot with all tags of one --tag ("a,b" = a and b);
//              several --tag options: any of them
//   --path P   a snapshot whose paths include every --path given, compared
//              as backup records them (normalise_backup_path: "DIR/" = "DIR")
// References: a full ID, a unique prefix (4+ hex digits), or "latest" = the
// newest intact snapshot matching the filters (damaged snapshot objects are
// left out of every choice: see snapshot_listing.hpp). An ID names its snapshot whatever
// the filters say: they choose among snapshots, an ID needs no choosing.
// "SNAPSHOT:/PATH" names a path inside a snapshot (restore).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/format/snapshot.hpp"
#include "core/repo/repository.hpp"
#include "core/repo/snapshot_listing.hpp"

namespace offsite::core {

struct SnapshotFilter {
  std::vector<std::string> hosts;
  std::vector<std::string> tags; // each "a,b"
  std::vector<std::string> paths;

  bool empty() const { return hosts.empty() && tags.empty() && paths.empty(); }
  bool matches(const Snapshot& snapshot) const;
  // " --host web1 --path /etc" as the user would type it (values made
  // printable, paths normalised), for messages.
  std::string describe() const;
};

// The intact snapshots of `listing` that match, sorted by time (oldest first).
std::vector<Snapshot> filter_snapshots(const SnapshotListing& listing,
                                       const SnapshotFilter& filter);
// The same, listing the repository (damaged snapshots silently left out).
std::vector<Snapshot> find_snapshots(Repository& repo, const SnapshotFilter& filter);

// Resolves one reference and loads its snapshot. Error(not_found) for an
// unknown ID or when no snapshot matches "latest" with the filters;
// Error(usage) for an ambiguous or too short prefix.
Snapshot resolve_snapshot(Repository& repo, std::string_view reference,
                          const SnapshotFilter& filter);
// The same, choosing "latest" from a listing the caller already has (and
// has shown the damage of).
Snapshot resolve_snapshot(Repository& repo, std::string_view reference,
                          const SnapshotFilter& filter, const SnapshotListing& listing);

// For forget, which must be able to remove a damaged snapshot by its ID: an
// ID or prefix naming a damaged snapshot object gives `damaged` instead of
// Error(integrity). "latest" never chooses a damaged one.
struct SnapshotReference {
  std::optional<Snapshot> snapshot;
  std::optional<DamagedSnapshot> damaged;
};
SnapshotReference resolve_snapshot_or_damaged(Repository& repo, std::string_view reference,
                                              const SnapshotFilter& filter,
                                              const SnapshotListing& listing);

// A path inside a snapshot as a user typed it: in the form `ls` prints it
// (util::from_printable: "\xNN" is one byte, a real backslash before "xNN"
// is "\x5c"). Error(usage) when it is not absolute; `what` names it there
// ("the path after ':'").
std::string snapshot_inner_path(std::string_view typed, std::string_view what);

// "SNAPSHOT:/PATH" split at its first ':'; `path` is empty without one, else
// snapshot_inner_path() of it.
struct SnapshotPathReference {
  std::string snapshot;
  std::string path;
};
SnapshotPathReference split_snapshot_path(std::string_view reference);

} // namespace offsite::core
