#pragma once
// DIR/store.json: which store a data directory uses, as `offsited init
// --store` recorded it (mode 0600, written atomically). No file means the
// embedded store in DIR/store. It holds the location and the path of the
// credentials file, never a secret:
//   {"version": 1, "kind": "s3", "endpoint": "http://10.0.0.5:7480",
//    "bucket": "offsite", "prefix": "dc1/", "region": "us-east-1",
//    "credentials_file": "/etc/offsite/s3-credentials"}
//   {"version": 1, "kind": "file", "path": "/srv/offsite-store"}

#include <filesystem>

#include "server/store/store_location.hpp"

namespace offsite::server {

std::filesystem::path store_config_path(const std::filesystem::path& data);

// The recorded location, or Kind::data_dir when there is no store.json.
// Throws Error(Code::config) naming the file when it cannot be read or is
// not one this version wrote.
StoreLocation read_store_config(const std::filesystem::path& data);

// Records `location` (not Kind::data_dir) in DIR/store.json, atomically,
// mode 0600. Throws Error as core::write_file_atomically does.
void write_store_config(const std::filesystem::path& data, const StoreLocation& location);

} // namespace offsite::server
