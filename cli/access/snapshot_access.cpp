#include "cli/access/snapshot_access.hpp"

namespace offsite::cli {

core::SnapshotListing list_snapshots_reporting(RepositoryContext& context, Terminal& terminal) {
  auto listing = core::list_intact_snapshots(context.repo);
  for (const auto& line : core::listing_warnings(listing))
    terminal.warning(line);
  return listing;
}

} // namespace offsite::cli
