// POSIX helpers that fail loudly (fs_util.hpp).
#include "bench/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace offsite::bench {

void fail_errno(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

void make_dir(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), 0700) != 0) fail_errno("cannot create directory", path);
  // chmod, not mkdir's mode: the umask must not change the tree.
  if (::chmod(path.c_str(), mode) != 0) fail_errno("cannot chmod", path);
}

void write_all(int fd, std::span<const char> data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_errno("cannot write", path);
    data = data.subspan(static_cast<std::size_t>(n));
  }
}

void pwrite_all(int fd, std::span<const char> data, std::uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_errno("cannot write", path);
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
}

void read_exact(int fd, std::span<char> out, std::uint64_t offset, const std::string& path) {
  while (!out.empty()) {
    const ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("cannot read", path);
    if (n == 0) throw std::runtime_error("unexpected end of file in " + path);
    out = out.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
}

void set_times(const std::string& path, std::time_t when) {
  const struct timespec times[2] = {{when, 0}, {when, 0}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    fail_errno("cannot set the time of", path);
  }
}

} // namespace offsite::bench
