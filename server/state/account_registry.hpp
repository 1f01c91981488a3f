#pragma once
// Accounts of the data centre, kept entirely through the core::Store seam so
// that every offsited in front of one shared store sees the same accounts.
//
// Keys (the store allows no in-place update, so a record is a series of
// create-only versions; the highest wins):
//   registry/<id>/<10-digit version>           JSON account record
//   registry-migrated                          records of an older data
//                                              directory were copied
//   accounts/<id>/record/<version>             the same, in earlier versions: read as
//                                              a fallback, copied by list()
//   accounts/<id>/repo/...                     the account's repository
//   accounts/<id>/leases/<lease>.<seq>         its locks (core/repo/lease.hpp)
//   invites/<sha256 of code>                   one-time registration codes
//   invites-used/<sha256 of code>              marks a code as spent (JSON with
//                                              the claimant's random nonce)
//   cancelled/<id>                             a cancelled account's tombstone (JSON:
//                                              its secret's hash and when)

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/store/store.hpp"

namespace offsite::server {

struct AccountRecord {
  std::string id;           // 16 hex digits
  std::string secret_hash;  // hex SHA-256 of the secret (256 random bits: no KDF needed)
  std::int64_t created = 0; // seconds since the epoch
  bool append_only = false;
  std::uint64_t quota_bytes = 0;         // 0 = the server's default
  std::uint64_t quota_objects = 0;       // 0 = the server's default
  std::vector<std::string> storage_pair; // "IP:PORT" primary, alternate
  std::uint64_t version = 1;
};

// What an account's repository holds.
struct Usage {
  std::uint64_t bytes = 0;
  std::uint64_t objects = 0;
};

struct CreatedAccount {
  AccountRecord record;
  std::string secret; // shown once, to the registering client
};

// Thread-safe as far as the store is.
class AccountRegistry {
public:
  explicit AccountRegistry(core::Store& store) : m_store(store) {}

  CreatedAccount create(const std::vector<std::string>& storage_pair);
  // The newest record, or nullopt when the account does not exist. An update
  // racing the lookup (another front-end's `account set`) yields the old or
  // the new record, never none.
  std::optional<AccountRecord> find(const std::string& id);
  // Every account. Walks registry/ only; the first call on a data directory
  // of an earlier version also walks accounts/ once to copy its records.
  std::vector<AccountRecord> list();
  // Writes the next version; Error(Code::generic) when another writer won the race.
  void update(AccountRecord record);

  // Constant-time check of a presented secret.
  static bool secret_matches(const AccountRecord& record, const std::string& secret);
  static bool is_valid_id(const std::string& id);

  // One-time invitation codes.
  std::string create_invite();
  bool consume_invite(const std::string& code); // true once per code

  // Bytes and objects stored under the account's repository.
  Usage usage(const std::string& id);

  // Deletes the account: its repository, its leases, then its record (the
  // newest version last, so an interrupted removal leaves the account able
  // to log in and finish it). Returns the objects and bytes deleted.
  // A tombstone is written first (see cancelled_at).
  std::pair<std::uint64_t, std::uint64_t> remove_account(const std::string& id);

  // When the account `id` was cancelled, if it was and `secret` is its
  // secret: another machine of the account then hears "cancelled", not
  // "refused". Without the secret nothing is learnt (no enumeration).
  std::optional<std::int64_t> cancelled_at(const std::string& id, const std::string& secret);

  static std::string repo_prefix(const std::string& id) { return "accounts/" + id + "/repo/"; }
  static std::string leases_prefix(const std::string& id) { return "accounts/" + id + "/leases/"; }

private:
  // The record under `key`, or nullopt when it vanished; Error(integrity)
  // when it is damaged.
  std::optional<AccountRecord> read_record(const std::string& id, const std::string& key);
  void migrate_legacy_records();
  core::Store& m_store;
};

} // namespace offsite::server
