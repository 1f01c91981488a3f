#include "util/fsync_directory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "util/fd.hpp"

namespace offsite::util {

int fsync_directory(const char* dir) {
  const Fd fd(::open(*dir != '\0' ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  if (::fsync(fd.get()) != 0 && errno != EINVAL) return errno;
  return 0;
}

} // namespace offsite::util
