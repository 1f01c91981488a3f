#pragma once
// How a command that shows or chooses among snapshots lists them: the intact
// ones, with a warning on stderr naming each damaged snapshot and stray name
// (core/repo/snapshot_listing.hpp), so that one damaged object blocks only
// itself and is never passed over in silence; and checked against what this
// client remembers (core/repo/rollback_memory.hpp, kept by
// cli/config/rollback_state.hpp), so that a data centre restored from an
// older copy is noticed.

#include <string>
#include <vector>

#include "cli/access/repository_access.hpp"
#include "cli/global_options.hpp"
#include "cli/ui/terminal.hpp"
#include "core/repo/rollback_memory.hpp"
#include "core/repo/snapshot_listing.hpp"
#include "core/repo/snapshot_select.hpp"

namespace offsite::cli {

struct RollbackChecks {
  // Error(integrity) on a possible rollback instead of a warning (backup:
  // a new snapshot would build on the older state).
  bool refuse = false;
  // --accept-rollback: what the repository shows now becomes what this
  // client remembers.
  bool accept = false;
};

struct CheckedListing {
  core::SnapshotListing listing;
  std::vector<core::RollbackFinding> rollbacks; // warned about (or accepted)
};

// Lists the repository's snapshots, warns about what it left out, and
// compares the listing with this client's memory: each possible rollback is
// a warning (or Error(integrity) with checks.refuse, unless checks.accept).
// Remembers newer snapshots of the hosts it tracks. A state file that cannot
// be read or written costs a warning, never the command. Throws what the
// store throws.
CheckedListing list_snapshots_checked(RepositoryContext& context, const GlobalOptions& options,
                                      Terminal& terminal, RollbackChecks checks = {});

// After this client saved `snapshot`: its host is remembered from now on.
void remember_saved_snapshot(RepositoryContext& context, const GlobalOptions& options,
                             Terminal& terminal, const core::Snapshot& snapshot);

// After this client's forget removed `removed`: a remembered newest snapshot
// among them is replaced by the newest that remains (listing again only then).
void remember_forgotten(RepositoryContext& context, const GlobalOptions& options,
                        Terminal& terminal, const std::vector<std::string>& removed);

// The IDs of the damaged snapshots a listing left out, for JSON "damaged".
std::vector<std::string> damaged_snapshot_ids(const core::SnapshotListing& listing);

// Resolves a snapshot reference for a command that reads one snapshot:
// "latest" lists the snapshots (naming the damaged ones it leaves out), an
// ID or prefix loads just that one.
core::Snapshot resolve_snapshot_checked(RepositoryContext& context, const GlobalOptions& options,
                                        Terminal& terminal, const std::string& reference,
                                        const core::SnapshotFilter& filter);

// The snapshots a command was asked about: those `ids` name (IDs, unique
// prefixes or "latest", resolved with `filter`), each once, oldest first;
// without IDs, every one `filter` lets through. An unknown ID is
// Error(not_found), an ambiguous prefix Error(usage): a script asking about
// one snapshot must not get an empty list instead.
std::vector<core::Snapshot> chosen_snapshots(core::Repository& repo,
                                             const std::vector<std::string>& ids,
                                             const core::SnapshotFilter& filter,
                                             const core::SnapshotListing& listing);

// The one sentence describing a finding, for warnings and JSON.
std::string describe_rollback(const core::RollbackFinding& finding);

} // namespace offsite::cli
