#include "server/state/account_registry.hpp"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"

namespace offsite::server {

namespace {

// Reads of an account record that lost a race with an update, before giving
// up (each loss means another update landed in between).
constexpr int k_find_rounds = 8;

// Records live apart from the repositories, so that listing the accounts
// walks the records only.
std::string records_prefix(const std::string& id) { return "registry/" + id + "/"; }
std::string record_key(const std::string& id, std::uint64_t version) {
  return fmt::format("registry/{}/{:010}", id, version);
}
// Where data directories of earlier versions keep them: read as a fallback,
// copied to registry/ by the first listing (migrate_legacy_records).
std::string legacy_records_prefix(const std::string& id) { return "accounts/" + id + "/record/"; }
// Present once the legacy records were copied: listing needs no walk of
// accounts/ (every repository's objects) any more.
constexpr std::string_view k_migrated_marker = "registry-migrated";

std::string tombstone_key(const std::string& id) { return "cancelled/" + id; }

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hash_hex(std::string_view text) { return to_hex(core::crypto::sha256(as_bytes(text))); }

nlohmann::json to_json(const AccountRecord& r) {
  return {{"id", r.id},
          {"secret_sha256", r.secret_hash},
          {"created", r.created},
          {"append_only", r.append_only},
          {"quota_bytes", r.quota_bytes},
          {"quota_objects", r.quota_objects},
          {"storage_pair", r.storage_pair},
          {"version", r.version}};
}

AccountRecord from_json(const nlohmann::json& j) {
  AccountRecord r;
  r.id = j.at("id").get<std::string>();
  r.secret_hash = j.at("secret_sha256").get<std::string>();
  r.created = j.at("created").get<std::int64_t>();
  r.append_only = j.at("append_only").get<bool>();
  r.quota_bytes = j.at("quota_bytes").get<std::uint64_t>();
  r.quota_objects = j.value("quota_objects", std::uint64_t{0}); // absent before 0.1.1
  r.storage_pair = j.at("storage_pair").get<std::vector<std::string>>();
  r.version = j.at("version").get<std::uint64_t>();
  return r;
}

} // namespace

bool AccountRegistry::is_valid_id(const std::string& id) {
  if (id.size() != 16) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

CreatedAccount AccountRegistry::create(const std::vector<std::string>& storage_pair) {
  CreatedAccount created;
  created.secret = to_hex(core::crypto::random_bytes(32));
  for (int attempt = 0; attempt < 8; ++attempt) {
    AccountRecord r;
    r.id = to_hex(core::crypto::random_bytes(8));
    r.secret_hash = hash_hex(created.secret);
    r.created = now_seconds();
    r.storage_pair = storage_pair;
    const std::string text = to_json(r).dump();
    if (m_store.put(record_key(r.id, r.version), as_bytes(text))) {
      created.record = std::move(r);
      return created;
    }
  }
  throw Error(Code::generic, "could not allocate an account id");
}

std::optional<AccountRecord> AccountRegistry::find(const std::string& id) {
  if (!is_valid_id(id)) return std::nullopt;
  // An update (on any front-end) writes the next version before it removes
  // the older ones, so a version that vanished between the listing and the
  // read has a successor: list again. Only empty listings mean no account;
  // each round needs another update to land meanwhile, so a few suffice.
  for (int round = 0; round < k_find_rounds; ++round) {
    auto versions = core::list_all(m_store, records_prefix(id));
    if (versions.empty()) versions = core::list_all(m_store, legacy_records_prefix(id));
    if (versions.empty()) {
      // An update of a legacy record may have moved it meanwhile.
      if (core::list_all(m_store, records_prefix(id)).empty()) return std::nullopt;
      continue;
    }
    if (auto record = read_record(id, versions.back().key)) return record;
  }
  throw Error(Code::generic, fmt::format("account record {} kept changing while it was read", id),
              "try again");
}

std::optional<AccountRecord> AccountRegistry::read_record(const std::string& id,
                                                          const std::string& key) {
  const auto data = m_store.get(key);
  if (!data) return std::nullopt;
  try {
    return from_json(nlohmann::json::parse(as_string(*data)));
  } catch (const nlohmann::json::exception& e) {
    throw Error(Code::integrity, fmt::format("account record {} is damaged: {}", id, e.what()));
  }
}

void AccountRegistry::migrate_legacy_records() {
  if (m_store.head(k_migrated_marker)) return;
  // The one walk of accounts/: copy each account's newest legacy record.
  // Several front-ends may do it at once; create-only puts make that safe.
  std::string last;
  std::string newest;
  const auto copy = [&] {
    if (newest.empty()) return;
    const std::string id = newest.substr(9, 16);
    if (auto record = read_record(id, newest))
      m_store.put(record_key(id, record->version), as_bytes(to_json(*record).dump()));
  };
  for (const auto& object : core::list_all(m_store, "accounts/")) {
    // accounts/<id>/record/<version>; anything else under accounts/ is skipped
    if (object.key.size() < 34 || object.key.compare(25, 8, "/record/") != 0) continue;
    const std::string id = object.key.substr(9, 16);
    if (id != last) copy();
    last = id;
    newest = object.key;
  }
  copy();
  m_store.put(k_migrated_marker, as_bytes(R"({"records":"registry/"})"));
}

std::vector<AccountRecord> AccountRegistry::list() {
  migrate_legacy_records();
  // registry/<id>/<version>: the newest of each id, read from one listing.
  std::vector<std::pair<std::string, std::string>> newest; // id, key
  for (const auto& object : core::list_all(m_store, "registry/")) {
    if (object.key.size() != 9 + 16 + 1 + 10 || object.key[25] != '/') continue;
    const std::string id = object.key.substr(9, 16);
    if (!is_valid_id(id)) continue;
    if (!newest.empty() && newest.back().first == id)
      newest.back().second = object.key;
    else
      newest.emplace_back(id, object.key);
  }
  std::vector<AccountRecord> out;
  for (const auto& [id, key] : newest) {
    auto record = read_record(id, key);
    if (!record) record = find(id); // updated or removed since the listing
    if (record) out.push_back(std::move(*record));
  }
  return out;
}

void AccountRegistry::update(AccountRecord record) {
  record.version += 1;
  const std::string text = to_json(record).dump();
  if (!m_store.put(record_key(record.id, record.version), as_bytes(text)))
    throw Error(Code::generic,
                fmt::format("account {} was changed by someone else meanwhile", record.id),
                "run the command again");
  // Older versions are history only; drop them so listing stays short
  // (legacy ones too: the account now lives in registry/).
  for (const auto& old : core::list_all(m_store, records_prefix(record.id)))
    if (old.key < record_key(record.id, record.version)) m_store.remove(old.key);
  for (const auto& old : core::list_all(m_store, legacy_records_prefix(record.id)))
    m_store.remove(old.key);
}

bool AccountRegistry::secret_matches(const AccountRecord& record, const std::string& secret) {
  const std::string presented = hash_hex(secret);
  return core::crypto::constant_time_equal(as_bytes(presented), as_bytes(record.secret_hash));
}

std::string AccountRegistry::create_invite() {
  std::string code = to_hex(core::crypto::random_bytes(10));
  m_store.put("invites/" + hash_hex(code), as_bytes("{}"));
  return code;
}

bool AccountRegistry::consume_invite(const std::string& code) {
  // A create-only marker, not a delete, makes the code single-use: exactly one
  // of two servers racing on it wins the put (S3 deletes are idempotent, so a
  // delete could not tell the racers apart).
  // Each claimant's marker holds its own nonce: a store that retries a put
  // and decides by content whether the existing object is its own (the S3
  // store after a lost reply) must not take a racer's marker for ours, and
  // a create that reports "exists" may still be ours, which the read tells.
  const std::string hash = hash_hex(code);
  if (!m_store.head("invites/" + hash)) return false;
  const std::string marker = "invites-used/" + hash;
  const std::string mine =
      nlohmann::json{{"claimant", to_hex(core::crypto::random_bytes(16))}}.dump();
  if (m_store.put(marker, as_bytes(mine))) return true;
  const auto there = m_store.get(marker);
  return there && as_string(*there) == mine;
}

std::pair<std::uint64_t, std::uint64_t> AccountRegistry::remove_account(const std::string& id) {
  if (const auto record = find(id)) {
    const std::string tombstone =
        nlohmann::json{{"secret_sha256", record->secret_hash}, {"cancelled", now_seconds()}}.dump();
    m_store.put(tombstone_key(id), as_bytes(tombstone)); // a retried removal keeps the first
  }
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
  for (const auto& prefix : {repo_prefix(id), leases_prefix(id)})
    for (const auto& object : core::list_all(m_store, prefix))
      if (m_store.remove(object.key)) {
        ++objects;
        bytes += object.size;
      }
  // list_all is sorted and versions are zero-padded: the newest goes last.
  for (const auto& prefix : {legacy_records_prefix(id), records_prefix(id)})
    for (const auto& object : core::list_all(m_store, prefix))
      m_store.remove(object.key);
  return {objects, bytes};
}

std::optional<std::int64_t> AccountRegistry::cancelled_at(const std::string& id,
                                                          const std::string& secret) {
  if (!is_valid_id(id)) return std::nullopt;
  const auto data = m_store.get(tombstone_key(id));
  if (!data) return std::nullopt;
  try {
    const auto doc = nlohmann::json::parse(as_string(*data));
    AccountRecord tombstone;
    tombstone.secret_hash = doc.at("secret_sha256").get<std::string>();
    if (!secret_matches(tombstone, secret)) return std::nullopt;
    return doc.at("cancelled").get<std::int64_t>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt; // a damaged tombstone: the account is simply unknown
  }
}

Usage AccountRegistry::usage(const std::string& id) {
  Usage total;
  for (const auto& object : core::list_all(m_store, repo_prefix(id))) {
    total.bytes += object.size;
    ++total.objects;
  }
  return total;
}

} // namespace offsite::server
