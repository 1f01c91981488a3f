#pragma once
// Small text helpers the command line shares: trimming what users type, and
// the distance behind every "did you mean ...?".
#include <cstddef>
#include <string_view>

namespace offsite::cli {

// `text` without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);

// Levenshtein distance: insertions, deletions and substitutions count 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace offsite::cli
