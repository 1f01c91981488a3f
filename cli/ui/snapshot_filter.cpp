#include "cli/ui/snapshot_filter.hpp"

#include <algorithm>
#include <string>

namespace offsite::cli {

void add_snapshot_filter(CLI::App& sub, core::SnapshotFilter& filter, std::string_view purpose) {
  const std::string tail(purpose);
  // One value per flag (allow_extra_args(false)): otherwise CLI11 lets a
  // vector option swallow the positionals after it, and "ls latest --host web1
  // /etc" would look for a host called /etc.
  sub.add_option("--host", filter.hosts, "Only snapshots of this host (repeatable)" + tail)
      ->type_name("HOST")
      ->allow_extra_args(false);
  sub.add_option("--tag", filter.tags,
                 "Only snapshots with these tags (\"a,b\" = both; repeatable = any)" + tail)
      ->type_name("TAG[,TAG]")
      ->allow_extra_args(false);
  sub.add_option("--path", filter.paths,
                 "Only snapshots that include this path (repeatable = all)" + tail)
      ->type_name("PATH")
      ->allow_extra_args(false);
}

std::vector<std::string> split_tag_list(const std::vector<std::string>& given) {
  std::vector<std::string> tags;
  for (const auto& item : given) {
    std::size_t at = 0;
    while (at <= item.size()) {
      const auto comma = std::min(item.find(',', at), item.size());
      if (comma > at) tags.push_back(item.substr(at, comma - at));
      at = comma + 1;
    }
  }
  return tags;
}

} // namespace offsite::cli
