#pragma once
// Which earlier snapshot a backup compares against (its "parent"): the
// place that decides it, so the archiver and the command line cannot drift.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/repo/repository.hpp"

namespace offsite::core {

// The newest snapshot of `host` whose paths equal `paths` (as
// backup_snapshot_paths gives them, order included), or nullopt. Lists and
// loads every snapshot document, leaving damaged ones out; throws what the
// store throws.
std::optional<std::string> select_parent(Repository& repo, std::string_view host,
                                         const std::vector<std::string>& paths);

} // namespace offsite::core
