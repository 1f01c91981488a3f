#include "core/backup/backup_parent.hpp"

namespace offsite::core {

std::optional<std::string> select_parent(Repository& repo, std::string_view host,
                                         const std::vector<std::string>& paths) {
  std::optional<std::string> parent;
  for (const auto& snapshot : repo.list_snapshots()) // sorted by time: the last match wins
    if (snapshot.host == host && snapshot.paths == paths) parent = snapshot.id;
  return parent;
}

} // namespace offsite::core
