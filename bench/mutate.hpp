#pragma once
// Changes about a given share of a tree's bytes the way a day of use does:
// logs and files grow, big files are edited in the middle, small files are
// rewritten, files appear and disappear. Works on whatever is on disk, so it
// needs no plan; the same tree and seed give the same changes.

#include <cstdint>
#include <string>

namespace offsite::bench {

struct MutationReport {
  std::uint64_t tree_bytes = 0; // regular-file bytes before the change
  std::uint64_t appended = 0;
  std::uint64_t edited = 0; // overwritten or inserted in the middle
  std::uint64_t rewritten = 0;
  std::uint64_t created = 0;
  std::uint64_t deleted = 0;
  std::uint64_t files_changed = 0;
  std::uint64_t files_created = 0;
  std::uint64_t files_deleted = 0;

  std::uint64_t changed() const { return appended + edited + rewritten + created + deleted; }
};

// Throws std::runtime_error on I/O errors and for percent outside (0, 100].
MutationReport mutate_tree(const std::string& root, std::uint64_t seed, double percent);

} // namespace offsite::bench
