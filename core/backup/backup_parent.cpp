#include "core/backup/backup_parent.hpp"

#include "core/repo/snapshot_listing.hpp"

namespace offsite::core {

std::optional<std::string> select_parent(Repository& repo, std::string_view host,
                                         const std::vector<std::string>& paths) {
  std::optional<std::string> parent;
  // Sorted by time: the last match wins. A damaged snapshot is no parent.
  for (const auto& snapshot : list_intact_snapshots(repo).snapshots)
    if (snapshot.host == host && snapshot.paths == paths) parent = snapshot.id;
  return parent;
}

} // namespace offsite::core
