#include "core/common/atomic_file.hpp"

#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/common/bytes.hpp"
#include "core/common/crash_point.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "util/fsync_directory.hpp"

namespace offsite::core {

namespace fs = std::filesystem;

void fsync_directory(const fs::path& dir) {
  if (const int error = util::fsync_directory(dir.c_str()); error != 0)
    throw_errno(fmt::format("cannot sync directory {}", dir.empty() ? "." : dir.string()), error);
}

void write_file_atomically(const fs::path& path, std::string_view content, unsigned mode) {
  const fs::path temp = path.parent_path() / fmt::format(".{}.tmp-{}", path.filename().string(),
                                                         to_hex(crypto::random_bytes(6)));
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) throw_errno(fmt::format("cannot create {}", temp.string()), errno);
  auto abandon = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    throw_errno(what, error);
  };
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) abandon(fmt::format("cannot write {}", temp.string()));
    done += static_cast<std::size_t>(n);
  }
  // The umask may have narrowed the mode; files holding secrets need exactly `mode`.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0)
    abandon(fmt::format("cannot write {}", temp.string()));
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw_errno(fmt::format("cannot write {}", temp.string()), error);
  }
  crash_point("atomic-file-before-rename");
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw_errno(fmt::format("cannot rename {} to {}", temp.string(), path.string()), error);
  }
  fsync_directory(path.parent_path());
}

} // namespace offsite::core
