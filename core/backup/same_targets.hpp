#pragma once
// --skip-if-unchanged decides with this: do two snapshot trees hold the same
// at each backed-up path? Only the paths themselves count, not the
// directories above them: those are recorded for their metadata alone, and
// /home or /tmp changes whenever anything is created there, which is not a
// change to what is backed up.

#include <string>
#include <vector>

#include "core/format/blob.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

// True when every one of `paths` (absolute, as backup_snapshot_paths gives
// them) is in both trees with the same node: same metadata and, for a
// directory, the same subtree, so everything below it is the same too.
// Throws what loading a tree throws.
bool same_targets(Repository& repo, const BlobId& before, const BlobId& after,
                  const std::vector<std::string>& paths);

} // namespace offsite::core
