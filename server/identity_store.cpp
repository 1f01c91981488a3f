#include "server/identity_store.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/bytes.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) {
  const int error = errno;
  throw Error(Code::generic, fmt::format("{}: {}", what, std::strerror(error)));
}

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(fmt::format("cannot open {}", dir.string()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail(fmt::format("cannot fsync {}", dir.string()));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

void write_file_atomically(const fs::path& path, std::string_view content, unsigned mode) {
  const fs::path temp = path.parent_path() / fmt::format(".{}.tmp-{}", path.filename().string(),
                                                         to_hex(core::crypto::random_bytes(6)));
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) fail(fmt::format("cannot create {}", temp.string()));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      errno = error;
      fail(fmt::format("cannot write {}", temp.string()));
    }
    done += static_cast<std::size_t>(n);
  }
  // The umask may have narrowed the mode; secrets need exactly `mode`.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    errno = error;
    fail(fmt::format("cannot write {}", temp.string()));
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    errno = error;
    fail(fmt::format("cannot rename {} to {}", temp.string(), path.string()));
  }
  fsync_directory(path.parent_path());
}

std::optional<transport::CaIdentity> load_identity(const fs::path& data_dir) {
  const fs::path dir = data_dir / "identity";
  if (!fs::exists(dir / "ca.pem") || !fs::exists(dir / "ca.key")) return std::nullopt;
  transport::CaIdentity identity;
  identity.key_pem = read_text(dir / "ca.key");
  identity.cert_pem = read_text(dir / "ca.pem");
  return identity;
}

InitResult init_identity(const fs::path& data_dir) {
  if (auto existing = load_identity(data_dir)) return {std::move(*existing), false};
  const fs::path dir = data_dir / "identity";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw Error(Code::generic, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  fs::permissions(dir, fs::perms::owner_all, ec);
  fsync_directory(data_dir);
  InitResult result{transport::generate_ca(), true};
  write_file_atomically(dir / "ca.key", result.identity.key_pem, 0600);
  write_file_atomically(dir / "ca.pem", result.identity.cert_pem, 0644);
  return result;
}

} // namespace offsite::server
