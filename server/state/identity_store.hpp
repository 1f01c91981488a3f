#pragma once
// Where offsited keeps the data centre's identity inside its data directory:
//   DIR/identity/ca.key   PKCS#8 PEM, 0600
//   DIR/identity/ca.pem   the CA certificate clients pin (by fingerprint)
// Each is written atomically (temporary file, fsync, rename, fsync of the
// directory). ca.pem is written last and marks a complete identity: a key
// without its certificate was never shown to anyone and is simply replaced.
// Server leaf certificates are issued in memory at every start, for the
// addresses the process listens on, so adding an address needs no init.

#include <filesystem>
#include <optional>

#include "transport/tls/identity.hpp"

namespace offsite::server {

struct InitResult {
  transport::CaIdentity identity;
  bool created = false; // false: an existing identity was kept
};

// Creates DIR/identity once; later calls load and keep it.
InitResult init_identity(const std::filesystem::path& data_dir);

// The identity, or nullopt when `offsited init` has not run on DIR.
std::optional<transport::CaIdentity> load_identity(const std::filesystem::path& data_dir);

} // namespace offsite::server
