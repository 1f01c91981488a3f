#pragma once
// Listing one open directory, shared by the archiver's walk and the backup
// scanner so that both see the same entries in the same order.

#include <string>
#include <vector>

namespace offsite::core {

// Opens directory `name` in `dir_fd` to be listed, without following a
// symlink and, when the kernel lets us (we own it, or are root), with
// O_NOATIME: a backup must not change what the next one records. -1 and
// errno as openat.
int open_dir_to_list(int dir_fd, const char* name);

// Names in `dir_fd` (without "." and ".."), sorted as unsigned bytes (the
// order trees are stored in). `err` is set to an errno value when the
// listing stopped early, else 0. `dir_fd` itself is left open and unmoved.
std::vector<std::string> list_names(int dir_fd, int& err);

// Directories whose contents a backup leaves out, keeping only the marker
// (like restic and borg: the restored tree still shows what was left out).
struct ContentMarkers {
  bool cachedir_tag = false;      // --exclude-caches: a valid CACHEDIR.TAG
  std::vector<std::string> names; // --exclude-if-present: an entry of any kind
};

// What a backup visits in `dir_fd`: list_names, except that a directory
// holding one of `markers` keeps only the markers it holds.
std::vector<std::string> list_backup_names(int dir_fd, const ContentMarkers& markers, int& err);

} // namespace offsite::core
