#include "server/store/open_store.hpp"

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/store/local_store.hpp"
#include "server/store/s3_credentials.hpp"
#include "server/store/s3_store.hpp"
#include "server/store/store_config.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

std::unique_ptr<core::Store> open_store(const StoreLocation& location, const fs::path& data) {
  switch (location.kind) {
  case StoreLocation::Kind::data_dir: return std::make_unique<core::LocalStore>(data / "store");
  case StoreLocation::Kind::directory:
    if (!fs::is_directory(location.directory))
      throw Error(Code::config, fmt::format("the store {} is not there", describe(location, data)),
                  "mount the file system that holds it, or check the path offsited init "
                  "recorded in " +
                      (data / "store.json").string());
    return std::make_unique<core::LocalStore>(location.directory);
  case StoreLocation::Kind::s3:
    return open_s3_store(location.s3, load_s3_credentials(location.credentials_file));
  }
  throw Error(Code::generic, "unknown kind of store");
}

std::unique_ptr<core::Store> open_data_store(const fs::path& data) {
  return open_store(read_store_config(data), data);
}

} // namespace offsite::server
