// restore --delete: what the target holds that the snapshot does not goes.
// Only names inside directories the restore itself entered are considered,
// and everything is removed through directory fds opened O_NOFOLLOW, so a
// symlink in the target (pointing anywhere) is removed as a link and never
// followed: nothing outside the target can be touched.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "core/restore/restorer_impl.hpp"
#include "util/path.hpp"

namespace offsite::core {

std::string_view restore_action_name(RestoreAction action) {
  switch (action) {
  case RestoreAction::write: return "write";
  case RestoreAction::overwrite: return "overwrite";
  case RestoreAction::skip: return "skip";
  case RestoreAction::remove: return "remove";
  }
  return "?";
}

namespace restore_detail {

namespace {

// The names in an open directory, without "." and "..". `dirfd` stays open
// and its offset untouched (the listing reads a duplicate).
std::vector<std::string> list_names(int dirfd) {
  const int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) fail("cannot list the directory", errno);
  DIR* dir = ::fdopendir(dup);
  if (!dir) {
    const int err = errno;
    ::close(dup);
    fail("cannot list the directory", err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) fail("cannot list the directory", err);
  return names;
}

} // namespace

void remove_tree_at(int dirfd, const std::string& name, int depth) {
  const auto st = stat_at(dirfd, name);
  if (!st) return;
  if (S_ISDIR(st->st_mode)) {
    if (depth > k_max_depth) throw EntryFailure{"too deeply nested to remove"};
    const util::Fd fd = open_dir_at(dirfd, name); // O_NOFOLLOW: never a symlink's target
    for (const auto& child : list_names(fd.get()))
      remove_tree_at(fd.get(), child, depth + 1);
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      fail("cannot remove the directory", errno);
    return;
  }
  if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT)
    fail("cannot remove the entry", errno);
}

void Restorer::delete_extra(int dirfd, const Tree& tree, const std::string& path) {
  if (!m_options.delete_extra || dirfd < 0) return;
  std::vector<std::string> names;
  try {
    names = list_names(dirfd);
  } catch (const EntryFailure& failure) {
    warn(path, failure.message);
    return;
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const bool in_snapshot = std::binary_search(
        tree.nodes.begin(), tree.nodes.end(), name, [](const auto& a, const auto& b) {
          if constexpr (std::is_same_v<std::decay_t<decltype(a)>, Node>)
            return a.name < b;
          else
            return a < b.name;
        });
    if (in_snapshot) continue;
    const std::string child = util::join_path(path, name);
    if (!m_options.dry_run) {
      try {
        remove_tree_at(dirfd, name);
      } catch (const EntryFailure& failure) {
        warn(child, failure.message);
        continue;
      }
    }
    ++m_result.deleted;
    m_reporter.entry(child, RestoreAction::remove);
  }
}

} // namespace restore_detail

} // namespace offsite::core
