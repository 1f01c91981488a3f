#pragma once
// The shape of a benchmark tree, decided before a byte is written: every
// directory, file (as a content recipe) and symlink, from a seed and a size.
// Same seed and size, same plan: the tree is reproducible byte for byte.

#include <cstdint>
#include <string>
#include <vector>

#include "bench/content.hpp"

namespace offsite::bench {

// All paths are relative to the tree's root, '/'-separated.
struct PlannedFile {
  std::string path;
  Content content;
  unsigned mode = 0644;
};

struct PlannedLink {
  std::string path;
  std::string target; // relative to the link's directory; may dangle on purpose
};

struct TreePlan {
  std::vector<std::string> dirs; // parents before children
  std::vector<PlannedFile> files;
  std::vector<PlannedLink> links;
  std::uint64_t text_bytes = 0;   // compressible, text-like (incl. their duplicates)
  std::uint64_t binary_bytes = 0; // incompressible, 4 KiB and up
  std::uint64_t small_bytes = 0;  // files of 100 B to 16 KiB
  std::uint64_t duplicate_bytes = 0;
  std::uint64_t shared_version_bytes = 0; // files that are versions of another
};

// About 40% of `size` in text-like files, 40% in incompressible binaries,
// 20% in small files; see tree_plan.cpp for the recipe.
TreePlan plan_tree(std::uint64_t seed, std::uint64_t size);

} // namespace offsite::bench
