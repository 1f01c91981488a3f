#pragma once
// --files-from and --files-from-verbatim: the paths to back up, read from a
// list file, as restic reads them.
//
// A list (--files-from) holds one path or glob pattern per line; blank lines
// and lines starting with '#' are skipped, surrounding blanks (and a CR from
// Windows) trimmed, and patterns expanded in sorted order. A pattern that
// matches nothing is kept as written, so that the backup reports that path
// as missing rather than silently backing up less. A verbatim list
// (--files-from-verbatim) takes every non-empty line as a path, byte for
// byte: names with leading blanks, a '#' or glob characters.

#include <string>
#include <vector>

namespace offsite::core {

enum class ListStyle { patterns, verbatim };

// Throws Error(usage) when the file cannot be read, naming `flag` in the hint.
std::vector<std::string> read_path_list(const std::string& file, ListStyle style,
                                        const std::string& flag);

} // namespace offsite::core
