#pragma once
// Which snapshots a command looks at, and what a snapshot reference names.
// Shared by snapshots, forget, restore, ls and diff, so "--host web1" and
// "latest" mean the same everywhere (restic's semantics):
//   --host H   any of the given hosts (repeatable)
//   --tag T    a snapshot with all tags of one --tag ("a,b" = a and b);
//              several --tag options: any of them
//   --path P   a snapshot whose paths include every --path given
// References: a full ID, a unique prefix (4+ hex digits), or "latest" = the
// newest snapshot matching the filters. An ID names its snapshot whatever
// the filters say: they choose among snapshots, an ID needs no choosing.

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/format/snapshot.hpp"
#include "core/repo/repository.hpp"

namespace offsite::cli {

struct SnapshotFilter {
  std::vector<std::string> hosts;
  std::vector<std::string> tags; // each "a,b"
  std::vector<std::string> paths;

  bool empty() const { return hosts.empty() && tags.empty() && paths.empty(); }
  bool matches(const core::Snapshot& snapshot) const;
  // " --host web1 --path /etc" as the user would type it, for messages.
  std::string describe() const;
};

// Adds --host, --tag and --path to `sub`; `purpose` ends each description
// ("Only snapshots of this host" + purpose).
void add_snapshot_filter(CLI::App& sub, SnapshotFilter& filter, std::string_view purpose = "");

// The repository's snapshots that match, sorted by time (oldest first).
std::vector<core::Snapshot> find_snapshots(core::Repository& repo, const SnapshotFilter& filter);

// Resolves one reference. Error(not_found) for an unknown ID or when no
// snapshot matches "latest" with the filters; Error(usage) for an
// ambiguous or too short prefix.
core::Snapshot find_snapshot(core::Repository& repo, std::string_view reference,
                             const SnapshotFilter& filter);

} // namespace offsite::cli
