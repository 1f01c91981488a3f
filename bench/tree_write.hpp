#pragma once
// Writes a planned tree to disk (tree_plan.hpp), every entry's mode and
// time fixed, so the same plan gives the same tree, metadata included.

#include <string>

#include "bench/tree_plan.hpp"

namespace offsite::bench {

// `root` must not exist or be an empty directory. Throws std::runtime_error.
void write_tree(const TreePlan& plan, const std::string& root);

} // namespace offsite::bench
