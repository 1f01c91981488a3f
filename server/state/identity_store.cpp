#include "server/state/identity_store.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/common/atomic_file.hpp"
#include "core/common/error.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) {
  const int error = errno;
  throw Error(Code::generic, fmt::format("{}: {}", what, std::strerror(error)));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

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
  core::fsync_directory(data_dir);
  InitResult result{transport::generate_ca(), true};
  core::write_file_atomically(dir / "ca.key", result.identity.key_pem, 0600);
  core::write_file_atomically(dir / "ca.pem", result.identity.cert_pem, 0644);
  return result;
}

} // namespace offsite::server
