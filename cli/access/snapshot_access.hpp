#pragma once
// How a command that shows or chooses among snapshots lists them: the intact
// ones, with a warning on stderr naming each damaged snapshot and stray name
// (core/repo/snapshot_listing.hpp), so that one damaged object blocks only
// itself and is never passed over in silence.

#include "cli/access/repository_access.hpp"
#include "cli/ui/terminal.hpp"
#include "core/repo/snapshot_listing.hpp"

namespace offsite::cli {

// Lists the repository's snapshots and warns about what it left out.
// Throws what the store throws.
core::SnapshotListing list_snapshots_reporting(RepositoryContext& context, Terminal& terminal);

} // namespace offsite::cli
