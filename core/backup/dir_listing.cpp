#include "core/backup/dir_listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "core/backup/exclude.hpp"

namespace offsite::core {

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

std::vector<std::string> list_backup_names(int dir_fd, bool exclude_caches, int& err) {
  std::vector<std::string> names = list_names(dir_fd, err);
  if (exclude_caches && is_cachedir_tag_at(dir_fd)) {
    const bool has_tag =
        std::binary_search(names.begin(), names.end(), std::string(k_cachedir_tag_name));
    names.clear();
    if (has_tag) names.emplace_back(k_cachedir_tag_name);
  }
  return names;
}

} // namespace offsite::core
