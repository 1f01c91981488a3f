#pragma once
// The data centre's settings, kept in the store so that every front-end of
// one store announces the same network map and applies the same
// registration mode and default quotas (issue 17).
//
// Keys (the store has no update: each change is the next create-only
// version; the highest wins, older ones are removed after it is written):
//   settings/<10-digit seq>   JSON of DataCentreSettings
//
// How `offsited serve` combines them with its flags is ServerContext's
// (server/handler/handler.hpp) and offsited(8)'s business.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/store/store.hpp"

namespace offsite::server {

enum class RegistrationMode { open, invite };

// A backup writes a 16 MiB pack per ~16 MiB of new data plus an index and a
// snapshot per run: a million objects is many terabytes or decades of runs,
// yet a bound on what a stolen secret can do to the file system's inodes.
inline constexpr std::uint64_t k_default_quota_objects = 1'000'000;

struct DataCentreSettings {
  RegistrationMode registration = RegistrationMode::open;
  std::vector<std::string> storage_pair;      // "IP:PORT" handed to new accounts
  std::vector<std::string> registration_pair; // this data centre's registration servers
  std::vector<std::string> subnets;           // CIDR text announced in the network map
  std::uint16_t port = 16384;                 // the service port in the network map
  std::uint64_t default_quota = 0;            // bytes, for accounts without their own; 0 = none
  // Objects an account may hold, for accounts without their own limit; 0 = none.
  std::uint64_t default_quota_objects = k_default_quota_objects;

  bool operator==(const DataCentreSettings&) const = default;
};

// One line for the server's log: "registration open, storage pair [...], ...".
std::string describe(const DataCentreSettings& settings);

// Thread-safe as far as the store is.
class SettingsStore {
public:
  explicit SettingsStore(core::Store& store) : m_store(store) {}

  struct Versioned {
    DataCentreSettings settings;
    std::uint64_t seq = 0;
  };
  // The newest settings, or nullopt when the store holds none. Throws
  // Error(Code::integrity) when the newest is damaged.
  std::optional<Versioned> load();
  // Writes `settings` as version `after_seq + 1`; false (nothing written)
  // when another writer took that version first: load and decide again.
  bool store_next(const DataCentreSettings& settings, std::uint64_t after_seq);

private:
  core::Store& m_store;
};

} // namespace offsite::server
