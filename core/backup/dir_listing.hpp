#pragma once
// Listing one open directory, shared by the archiver's walk and the backup
// scanner so that both see the same entries in the same order.

#include <string>
#include <vector>

namespace offsite::core {

// Names in `dir_fd` (without "." and ".."), sorted as unsigned bytes (the
// order trees are stored in). `err` is set to an errno value when the
// listing stopped early, else 0. `dir_fd` itself is left open and unmoved.
std::vector<std::string> list_names(int dir_fd, int& err);

// What a backup visits in `dir_fd`: list_names, except that with
// `exclude_caches` a directory holding a CACHEDIR.TAG keeps only the tag
// (like restic and borg: the restored tree still shows what was left out).
std::vector<std::string> list_backup_names(int dir_fd, bool exclude_caches, int& err);

} // namespace offsite::core
