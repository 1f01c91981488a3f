#include "core/backup/dir_listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "core/backup/exclude.hpp"

namespace offsite::core {

int open_dir_to_list(int dir_fd, const char* name) {
  const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  const int fd = ::openat(dir_fd, name, flags | O_NOATIME);
  if (fd >= 0 || errno != EPERM) return fd;
  return ::openat(dir_fd, name, flags);
}

std::vector<std::string> list_names(int dir_fd, int& err) {
  std::vector<std::string> names;
  err = 0;
  int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    return names;
  }
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    err = errno;
    ::close(fd);
    return names;
  }
  ::rewinddir(dir); // the duplicate shares the offset of dir_fd
  for (;;) {
    errno = 0;
    const dirent* ent = ::readdir(dir);
    if (!ent) {
      err = errno;
      break;
    }
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(dir);
  // std::string compares as unsigned bytes: the order trees are stored in.
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> list_backup_names(int dir_fd, const ContentMarkers& markers, int& err) {
  std::vector<std::string> names = list_names(dir_fd, err);
  const auto holds = [&](const std::string& name) {
    return std::binary_search(names.begin(), names.end(), name);
  };
  std::vector<std::string> kept;
  if (markers.cachedir_tag && is_cachedir_tag_at(dir_fd)) kept.emplace_back(k_cachedir_tag_name);
  for (const auto& name : markers.names)
    if (holds(name)) kept.push_back(name);
  if (kept.empty()) return names;
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  std::erase_if(kept, [&](const std::string& name) { return !holds(name); });
  return kept;
}

} // namespace offsite::core
