// Repository: config, keys, blobs in packs, index files.
//
// Objects and their protection (see also repository.hpp):
//   config         seal(enc, JSON, "offsite-config-v1"): {"version":1,
//                  "id":"<64 hex>", "chunker":{"min","avg","max"}, "zstd_level"}
//   keys/<16 hex>  labelled_key_file() JSON; unlock tries each one
//   data/<2>/<64>  packs (pack.cpp); name = SHA-256 of the bytes
//   index/<64>     seal(enc, encode_index(), "offsite-index-v1"); name = SHA-256
//                  of the sealed bytes
//   snapshots/<64> seal(enc, snapshot_to_json(), "offsite-snapshot-v1"); name
//                  likewise
//
// Objects named by their hash are checked against the name whenever they are
// read whole, so a store that swaps or replays them is caught; a blob read by
// byte range is caught by its own tag (its AAD binds its type and ID).
//
// Writing blobs from many threads: save_blob reserves the ID under the mutex
// (dedup against the index and the in-flight set), seals outside it (the
// expensive part, so N threads use N cores), then appends to the open pack
// under the mutex. The thread whose blob fills the pack takes its blobs (O(1)
// under the lock), assembles the pack outside it (shuffle, copy, header,
// SHA-256) and hands it to the upload thread, so sealing never waits for the
// network or the server's fsync. At most k_max_uploads packs are being
// assembled or uploaded at once (others wait), which bounds memory to
// ~(k_max_uploads + 1) packs. An upload failure is kept and rethrown by the
// next save_blob or flush.
// Every k_packs_per_index uploaded packs an index file is written, so an
// interrupted backup loses at most that many packs' worth of work: the next
// run finds the rest in the index and does not upload it again.
#include "core/repo/repository.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/crash_point.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/crypto/key_files.hpp"
#include "util/printable.hpp"

namespace offsite::core {

namespace {

constexpr std::string_view k_config_aad = "offsite-config-v1";
constexpr std::string_view k_index_aad = "offsite-index-v1";
constexpr int k_config_version = 1;
constexpr std::size_t k_max_uploads = 2;
constexpr std::size_t k_packs_per_index = 4;

constexpr std::string_view k_index_prefix = "index/";
constexpr const char* k_repair_index_hint =
    "run \"offsite repair index\" to rebuild the index from the packs";

bool is_hash_name(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

const char* type_name(BlobType t) { return t == BlobType::tree ? "tree" : "data"; }

} // namespace

std::string Repository::pack_key(const std::string& pack_name) {
  return "data/" + pack_name.substr(0, 2) + "/" + pack_name;
}

void Repository::init(Store& store, const MasterKey& key, std::string_view passphrase,
                      const crypto::ScryptParams& kdf) {
  const auto already = [] {
    return Error(Code::config, "the storage location already holds a repository",
                 "use it with its passphrase, or choose an empty location");
  };
  if (store.head("config")) throw already();
  // Key files without a config are the remains of an interrupted init: they
  // could never open anything, and one with the same passphrase would make
  // unlock pick a key that does not match the new config.
  for (const auto& o : list_all(store, "keys/"))
    store.remove(o.key);

  const std::string key_name = "keys/" + to_hex(crypto::random_bytes(8));
  if (!store.put(key_name, as_bytes(labelled_key_file(key, passphrase, kdf))))
    throw Error(Code::generic, "a key file name collided; run the command again");

  const ChunkerParams chunker{};
  const nlohmann::json doc = {
      {"version", k_config_version},
      {"id", to_hex(crypto::random_bytes(32))},
      {"chunker",
       {{"min", chunker.min_size}, {"avg", chunker.avg_size}, {"max", chunker.max_size}}},
      {"zstd_level", RepositoryOptions{}.zstd_level},
  };
  const Bytes sealed = crypto::seal(key.encryption, as_bytes(doc.dump()), as_bytes(k_config_aad));
  if (!store.put("config", sealed)) { // another init won the race
    store.remove(key_name);
    throw already();
  }
}

MasterKey Repository::unlock(Store& store, std::string_view passphrase) {
  return find_key_file(store, passphrase).key;
}

Repository::Config Repository::read_config(Store& store, const MasterKey& key) {
  const auto sealed = store.get("config", 0, std::nullopt);
  if (!sealed)
    throw Error(Code::config, "the storage location holds no repository",
                "create one with offsite init (or offsite register)");
  const auto plain = crypto::open(key.encryption, *sealed, as_bytes(k_config_aad));
  if (!plain)
    throw Error(Code::integrity, "the repository config failed authentication",
                "the key does not belong to this repository, or the config object is damaged");
  const auto bad = [](std::string_view what) {
    return Error(Code::integrity, fmt::format("the repository config is malformed: {}", what),
                 "the config object is damaged or written by a newer offsite");
  };
  const auto doc = nlohmann::json::parse(plain->begin(), plain->end(), nullptr, false);
  if (!doc.is_object()) throw bad("not a JSON object");
  if (!doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"].get<std::int64_t>() != k_config_version)
    throw bad("unknown version");
  Config c;
  if (!doc.contains("id") || !doc["id"].is_string()) throw bad("no id");
  c.id = doc["id"].get<std::string>();
  const auto raw_id = from_hex(c.id);
  if (!raw_id || raw_id->size() != 32) throw bad("invalid id");
  if (!doc.contains("chunker") || !doc["chunker"].is_object()) throw bad("no chunker sizes");
  const auto& ch = doc["chunker"];
  for (const char* f : {"min", "avg", "max"})
    if (!ch.contains(f) || !ch[f].is_number_unsigned()) throw bad("invalid chunker sizes");
  c.chunker.min_size = ch["min"].get<std::size_t>();
  c.chunker.avg_size = ch["avg"].get<std::size_t>();
  c.chunker.max_size = ch["max"].get<std::size_t>();
  // A chunk must fit in one blob.
  if (c.chunker.max_size > k_max_blob_size || c.chunker.min_size >= c.chunker.avg_size ||
      c.chunker.avg_size >= c.chunker.max_size)
    throw bad("invalid chunker sizes");
  return c;
}

Repository::Repository(Store& store, const MasterKey& key, RepositoryOptions options)
    : Repository(store, key, options, read_config(store, key)) {}

Repository::Repository(Store& store, const MasterKey& key, RepositoryOptions options, Config config)
    : m_store(store), m_key(key), m_options(options), m_codec(key, options.zstd_level),
      m_chunker(key.chunker, config.chunker),
      m_id(std::move(config.id)), m_packs{PackBuilder(key.encryption),
                                          PackBuilder(key.encryption)} {
  if (m_options.pack_size == 0) m_options.pack_size = 1;
  if (m_store.remote())
    m_tree_cache = std::make_unique<PackBlockCache>(m_store, k_tree_cache_bytes, k_tree_block_size);
}

Repository::~Repository() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_upload_wanted.notify_all();
  if (m_uploader.joinable()) m_uploader.join();
}

std::optional<std::vector<IndexedPack>> Repository::read_index_file(const std::string& name) {
  const auto sealed = get_hashed("index/" + name, name);
  if (!sealed) return std::nullopt; // removed by a concurrent prune
  const auto plain = crypto::open(m_key.encryption, *sealed, as_bytes(k_index_aad));
  if (!plain)
    throw Error(Code::integrity, fmt::format("index file {} failed authentication", name),
                k_repair_index_hint);
  return decode_index(*plain);
}

std::optional<std::vector<IndexedPack>>
Repository::read_index_object(const std::string& key, std::vector<IndexFileProblem>* damaged) {
  const std::string name = key.substr(k_index_prefix.size());
  if (!is_hash_name(name)) {
    // Not written by offsite (a stray or planted object): naming it is all
    // we can do; its bytes are never read.
    if (!damaged)
      throw Error(Code::integrity,
                  fmt::format("{} is not named like an index file", util::printable(key)),
                  k_repair_index_hint);
    damaged->push_back({key, "not named like an index file"});
    return std::nullopt;
  }
  try {
    return read_index_file(name);
  } catch (const Error& e) {
    if (!damaged || e.code() != Code::integrity) throw;
    damaged->push_back({key, e.what()});
    return std::nullopt;
  }
}

std::vector<IndexFileProblem> Repository::load_index() {
  std::vector<IndexFileProblem> damaged;
  for (const auto& o : list_all(m_store, std::string(k_index_prefix))) {
    std::string name = o.key.substr(k_index_prefix.size());
    if (m_loaded_index_files.contains(name)) continue;
    if (const auto packs = read_index_object(o.key, &damaged))
      for (const auto& pack : *packs)
        m_index.add_pack(pack.name, pack.entries);
    m_loaded_index_files.insert(std::move(name));
  }
  return damaged;
}

std::vector<IndexFile> Repository::read_index_files(std::vector<IndexFileProblem>* damaged) {
  std::vector<IndexFile> out;
  for (const auto& o : list_all(m_store, std::string(k_index_prefix))) {
    if (auto packs = read_index_object(o.key, damaged))
      out.push_back({o.key.substr(k_index_prefix.size()), std::move(*packs)});
  }
  return out;
}

std::size_t Repository::forget_packs(const std::vector<std::string>& pack_names) {
  return m_index.remove_packs(pack_names);
}

void Repository::add_packs(const std::vector<IndexedPack>& packs) {
  for (const auto& pack : packs)
    m_index.add_pack(pack.name, pack.entries);
}

std::string Repository::write_index_file(const std::vector<IndexedPack>& packs) {
  const Bytes sealed = crypto::seal(m_key.encryption, encode_index(packs), as_bytes(k_index_aad));
  std::string name = to_hex(crypto::sha256(sealed));
  m_store.put("index/" + name, sealed); // false is impossible: fresh nonce
  crash_point("client-index-written");
  return name;
}

bool Repository::remove_index_file(const std::string& name) {
  return m_store.remove("index/" + name);
}

bool Repository::has_blob(const BlobId& id) const {
  std::lock_guard lock(m_mutex);
  return m_index.contains(id) || m_in_flight.contains(id);
}

BlobId Repository::save_blob(BlobType type, ByteView plaintext) {
  const BlobId id = m_codec.id_of(plaintext);
  save_blob(type, id, plaintext);
  return id;
}

bool Repository::save_blob(BlobType type, const BlobId& id, ByteView plaintext) {
  {
    std::lock_guard lock(m_mutex);
    if (m_upload_error) std::rethrow_exception(m_upload_error);
    if (m_index.contains(id) || !m_in_flight.insert(id).second) return false;
  }
  const auto forget = [&] {
    std::lock_guard lock(m_mutex);
    m_in_flight.erase(id);
    m_uploads_done.notify_all();
  };
  Bytes sealed;
  try {
    sealed = m_codec.seal(type, id, plaintext); // throws beyond k_max_blob_size
  } catch (...) {
    forget();
    throw;
  }

  std::optional<std::vector<PackBuilder::Pending>> full;
  {
    std::unique_lock lock(m_mutex);
    const std::size_t stored = sealed.size();
    try {
      pack_for(type).add(type, id, std::move(sealed), static_cast<std::uint32_t>(plaintext.size()));
    } catch (...) {
      m_in_flight.erase(id);
      throw;
    }
    (type == BlobType::tree ? m_stats.tree_blobs_new : m_stats.data_blobs_new) += 1;
    m_stats.bytes_new_raw += plaintext.size();
    m_stats.bytes_new_stored += stored;
    m_uploads_done.notify_all(); // a load_blob may be waiting for this blob
    if (pack_for(type).size() >= m_options.pack_size)
      full = take_pack_locked(lock, pack_for(type), false);
  }
  if (full) send_pack(std::move(*full));
  return true;
}

std::optional<std::vector<PackBuilder::Pending>>
Repository::take_pack_locked(std::unique_lock<std::mutex>& lock, PackBuilder& pack, bool force) {
  const auto wanted = [&] { return force ? !pack.empty() : pack.size() >= m_options.pack_size; };
  // While we wait, other threads keep adding to the pack (at most one blob
  // each past the threshold before they wait here too); one of us takes it.
  m_uploads_done.wait(
      lock, [&] { return m_uploads_in_flight < k_max_uploads || !wanted() || m_upload_error; });
  if (m_upload_error) std::rethrow_exception(m_upload_error);
  if (!wanted()) return std::nullopt;
  ++m_uploads_in_flight; // flush() waits for zero
  return pack.take();
}

void Repository::send_pack(std::vector<PackBuilder::Pending> blobs) {
  std::vector<BlobId> ids;
  ids.reserve(blobs.size());
  for (const auto& b : blobs)
    ids.push_back(b.id);
  FinishedPack pack;
  try {
    pack = PackBuilder::assemble(m_key.encryption, std::move(blobs));
  } catch (...) {
    std::lock_guard lock(m_mutex);
    for (const auto& id : ids)
      m_in_flight.erase(id);
    --m_uploads_in_flight;
    m_uploads_done.notify_all();
    throw;
  }
  std::lock_guard lock(m_mutex);
  m_upload_queue.push_back(std::move(pack));
  if (!m_uploader.joinable()) m_uploader = std::thread([this] { upload_loop(); });
  m_upload_wanted.notify_one();
}

void Repository::upload_loop() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_upload_wanted.wait(lock, [&] { return m_stopping || !m_upload_queue.empty(); });
    if (m_stopping) return; // packs still queued were never promised durable
    FinishedPack pack = std::move(m_upload_queue.front());
    m_upload_queue.pop_front();
    lock.unlock();
    try {
      upload_pack(std::move(pack));
      lock.lock();
    } catch (...) {
      lock.lock();
      if (!m_upload_error) m_upload_error = std::current_exception();
      // Nothing queued behind a failed upload may land: a later pack
      // indexed without an earlier one is fine, but the caller is told
      // once and starts over, finding what did land in the index.
      for (const auto& queued : m_upload_queue) {
        for (const auto& e : queued.entries)
          m_in_flight.erase(e.id);
        --m_uploads_in_flight;
      }
      m_upload_queue.clear();
      m_uploads_done.notify_all();
    }
  }
}

void Repository::upload_pack(FinishedPack pack) {
  try {
    // false: a pack with this name exists, and its name is the hash of its
    // bytes, so it holds exactly these bytes (a retried upload).
    m_store.put(pack_key(pack.name), pack.bytes);
    crash_point("client-pack-acknowledged");
  } catch (...) {
    std::lock_guard lock(m_mutex);
    for (const auto& e : pack.entries)
      m_in_flight.erase(e.id);
    // The error is recorded before the count drops: flush() wakes on zero
    // uploads and would otherwise save a snapshot naming the lost pack.
    if (!m_upload_error) m_upload_error = std::current_exception();
    --m_uploads_in_flight;
    m_uploads_done.notify_all();
    throw;
  }
  Bytes().swap(pack.bytes);
  std::unique_lock lock(m_mutex);
  m_index.add_pack(pack.name, pack.entries);
  for (const auto& e : pack.entries)
    m_in_flight.erase(e.id);
  m_unindexed.push_back({std::move(pack.name), std::move(pack.entries)});
  ++m_stats.packs_written;
  // The pack stays counted until its index file is written too, so flush()
  // cannot return (and a snapshot be saved) while that write is under way,
  // and a failure of it reaches flush() through m_upload_error.
  if (m_unindexed.size() >= k_packs_per_index) {
    try {
      write_index_locked(lock);
    } catch (...) {
      if (!m_upload_error) m_upload_error = std::current_exception();
      --m_uploads_in_flight;
      m_uploads_done.notify_all();
      throw;
    }
  }
  --m_uploads_in_flight;
  m_uploads_done.notify_all();
}

void Repository::write_index_locked(std::unique_lock<std::mutex>& lock) {
  std::vector<IndexedPack> packs;
  packs.swap(m_unindexed);
  lock.unlock();
  try {
    write_index_file(packs);
  } catch (...) {
    lock.lock();
    m_unindexed.insert(m_unindexed.begin(), std::make_move_iterator(packs.begin()),
                       std::make_move_iterator(packs.end()));
    throw;
  }
  lock.lock();
}

void Repository::flush() {
  std::unique_lock lock(m_mutex);
  for (PackBuilder& pack : m_packs) {
    if (auto blobs = take_pack_locked(lock, pack, true)) {
      lock.unlock();
      send_pack(std::move(*blobs));
      lock.lock();
    }
  }
  m_uploads_done.wait(lock, [&] { return m_uploads_in_flight == 0 || m_upload_error; });
  if (m_upload_error) std::rethrow_exception(m_upload_error);
  if (!m_unindexed.empty()) write_index_locked(lock);
}

const Bytes* Repository::find_unsent_locked(const BlobId& id) const {
  for (const PackBuilder& pack : m_packs)
    if (const Bytes* sealed = pack.find(id)) return sealed;
  return nullptr;
}

RepositoryStats Repository::stats() const {
  std::lock_guard lock(m_mutex);
  return m_stats;
}

Bytes Repository::load_blob(BlobType type, const BlobId& id) {
  for (;;) {
    if (const auto locations = m_index.find_all(id); !locations.empty())
      return load_from_any(type, id, locations);
    std::unique_lock lock(m_mutex);
    if (const Bytes* sealed = find_unsent_locked(id)) {
      // Saved in this session and not yet uploaded: read it from memory.
      const Bytes copy = *sealed;
      lock.unlock();
      if (auto plain = m_codec.open(type, id, copy)) return std::move(*plain);
      throw Error(Code::integrity,
                  fmt::format("blob {} failed authentication as a {} blob", blob_id_hex(id),
                              type_name(type)),
                  "a tree refers to a blob of the wrong type; run offsite check");
    }
    if (!m_in_flight.contains(id)) {
      if (m_index.contains(id)) continue; // its upload finished just now
      throw Error(
          Code::not_found,
          fmt::format("{} blob {} is not in the repository", type_name(type), blob_id_hex(id)),
          "run offsite check; the index may be incomplete or the blob was pruned");
    }
    // Being sealed or uploaded by another thread: wait until it lands.
    m_uploads_done.wait(lock, [&] { return !m_in_flight.contains(id) || find_unsent_locked(id); });
  }
}

Bytes Repository::load_from_any(BlobType type, const BlobId& id,
                                const std::vector<BlobLocation>& locations) {
  // Almost always one location. Another is a copy a healing backup or an
  // interrupted prune made: the reason to have it is that the first is bad.
  for (std::size_t i = 0;; ++i) {
    try {
      return load_from_pack(type, id, locations[i]);
    } catch (const Error& e) {
      if (e.code() != Code::integrity || i + 1 == locations.size()) throw;
    }
  }
}

void Repository::cache_pack_reads(std::size_t max_bytes) {
  if (!m_block_cache) m_block_cache = std::make_unique<PackBlockCache>(m_store, max_bytes);
}

void Repository::advise_pack_reads(PackBlockCache::NextUse next_use, std::uint64_t near) {
  if (m_block_cache) m_block_cache->advise(std::move(next_use), near);
}

std::optional<Bytes> Repository::read_pack_range(const std::string& pack, std::uint64_t offset,
                                                 std::uint64_t length) {
  if (m_block_cache) return m_block_cache->get(pack_key(pack), offset, length);
  return m_store.get(pack_key(pack), offset, length);
}

Bytes Repository::load_from_pack(BlobType type, const BlobId& id, const BlobLocation& loc) {
  const auto data = m_tree_cache && loc.type == BlobType::tree && loc.in_tree_pack
                        ? m_tree_cache->get(pack_key(loc.pack), loc.offset, loc.length)
                        : read_pack_range(loc.pack, loc.offset, loc.length);
  return open_from_pack(type, id, loc, data ? std::optional<ByteView>(*data) : std::nullopt);
}

std::vector<Repository::BlobLoad> Repository::load_blob_run(const std::vector<BlobId>& ids) {
  constexpr auto type = BlobType::data;
  std::vector<BlobLoad> out(ids.size());
  std::vector<std::vector<BlobLocation>> locations(ids.size());
  // The range of the first indexed blob's pack that covers all of its blobs.
  std::string pack;
  std::uint64_t begin = std::numeric_limits<std::uint64_t>::max(), end = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    locations[i] = m_index.find_all(ids[i]);
    if (locations[i].empty()) continue;
    const auto& loc = locations[i].front();
    if (pack.empty()) pack = loc.pack;
    if (loc.pack != pack) continue;
    begin = std::min<std::uint64_t>(begin, loc.offset);
    end = std::max<std::uint64_t>(end, std::uint64_t{loc.offset} + loc.length);
  }
  std::optional<Bytes> data;
  std::exception_ptr get_error; // a store failure fails each blob as load_blob would
  if (!pack.empty()) {
    try {
      data = read_pack_range(pack, begin, end - begin);
    } catch (...) {
      get_error = std::current_exception();
    }
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    try {
      if (locations[i].empty() || locations[i].front().pack != pack) {
        out[i].data = load_blob(type, ids[i]);
        continue;
      }
      const auto& loc = locations[i].front();
      try {
        if (get_error) std::rethrow_exception(get_error);
        std::optional<ByteView> sealed;
        if (data) {
          // A short read cuts off the blobs past its end, as it would have
          // cut off each one's own get.
          const std::size_t at = loc.offset - begin;
          sealed = at >= data->size()
                       ? ByteView{}
                       : ByteView(*data).subspan(
                             at, std::min<std::size_t>(loc.length, data->size() - at));
        }
        out[i].data = open_from_pack(type, ids[i], loc, sealed);
      } catch (const Error& e) {
        // As load_from_any: another copy of the blob may be intact.
        if (e.code() != Code::integrity || locations[i].size() == 1) throw;
        try {
          out[i].data = load_from_any(type, ids[i], {locations[i].begin() + 1, locations[i].end()});
        } catch (const Error&) {
          throw e; // as load_blob: the first copy's error when all fail
        }
      }
    } catch (...) {
      out[i].error = std::current_exception();
    }
  }
  return out;
}

Bytes Repository::open_from_pack(BlobType type, const BlobId& id, const BlobLocation& loc,
                                 std::optional<ByteView> data) {
  if (loc.type != type)
    throw Error(Code::integrity,
                fmt::format("blob {} is a {} blob where a {} blob was expected", blob_id_hex(id),
                            type_name(loc.type), type_name(type)),
                "a tree refers to a blob of the wrong type; run offsite check");
  if (!data)
    throw Error(Code::integrity,
                fmt::format("pack {} is missing (it holds blob {})", loc.pack, blob_id_hex(id)),
                "run offsite check to find every missing pack");
  if (data->size() != loc.length)
    throw Error(
        Code::integrity,
        fmt::format("pack {} is truncated: blob {} is cut short", loc.pack, blob_id_hex(id)),
        "run offsite check --read-data to find every damaged pack");
  auto plain = m_codec.open(type, id, *data);
  if (!plain)
    throw Error(Code::integrity,
                fmt::format("pack {} is corrupted: blob {} failed authentication", loc.pack,
                            blob_id_hex(id)),
                "run offsite check --read-data to find every damaged pack; files whose data is "
                "in other packs can still be restored");
  return std::move(*plain);
}

std::optional<Bytes> Repository::get_hashed(const std::string& key, std::string_view name) {
  auto data = m_store.get(key, 0, std::nullopt);
  if (!data) return std::nullopt;
  if (to_hex(crypto::sha256(*data)) != name)
    throw Error(Code::integrity,
                fmt::format("{} does not match its name: it was damaged or swapped", key),
                "run offsite check --read-data");
  return data;
}

Bytes Repository::load_pack(const std::string& pack_name) {
  auto data = get_hashed(pack_key(pack_name), pack_name);
  if (!data) throw Error(Code::not_found, fmt::format("pack {} does not exist", pack_name));
  return std::move(*data);
}

std::vector<PackEntry> Repository::read_pack_header(const std::string& pack_name) {
  const std::string key = pack_key(pack_name);
  const auto size = m_store.head(key);
  if (!size) throw Error(Code::not_found, fmt::format("pack {} does not exist", pack_name));
  const auto fail = [&] {
    return Error(Code::integrity,
                 fmt::format("pack {} is corrupted: its header failed authentication", pack_name),
                 "run offsite check --read-data to find every damaged pack");
  };
  // One round trip for typical headers; a second one for very large ones.
  constexpr std::uint64_t k_guess = std::uint64_t{64} * 1024;
  std::uint64_t want = std::min(*size, k_guess);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto tail = m_store.get(key, *size - want, want);
    if (!tail || tail->size() != want || want < k_pack_trailer_size) throw fail();
    const std::uint64_t needed =
        std::uint64_t{get_u32(tail->data() + tail->size() - k_pack_trailer_size)} +
        k_pack_trailer_size;
    if (needed > *size) throw fail();
    if (needed <= want) {
      auto entries = core::read_pack_header(m_key.encryption, *tail, *size);
      if (!entries) throw fail();
      return std::move(*entries);
    }
    want = needed;
  }
  throw fail();
}

// Snapshots

namespace {

constexpr std::string_view k_snapshot_aad = "offsite-snapshot-v1";
constexpr std::size_t k_min_prefix = 4;

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A snapshot reference is user input quoted in messages: keep them one
// readable line.
constexpr util::PrintOptions k_ref_in_messages{.max_chars = 100, .quoted = true};

Error no_match(std::string_view ref) {
  return Error(Code::not_found,
               fmt::format("no snapshot matches \"{}\"", util::printable(ref, k_ref_in_messages)),
               "run offsite snapshots to list them");
}

} // namespace

std::string Repository::save_snapshot(const Snapshot& snapshot) {
  const std::string doc = snapshot_to_json(snapshot).dump();
  const Bytes sealed = crypto::seal(m_key.encryption, as_bytes(doc), as_bytes(k_snapshot_aad));
  std::string id = to_hex(crypto::sha256(sealed));
  m_store.put(std::string(k_snapshots_prefix) + id, sealed); // false is impossible: fresh nonce
  return id;
}

Snapshot Repository::load_snapshot(const std::string& id) {
  if (id.size() != 64 || !is_hex(id)) throw no_match(id);
  const auto sealed = get_hashed(std::string(k_snapshots_prefix) + id, id);
  if (!sealed) throw no_match(id);
  const auto plain = crypto::open(m_key.encryption, *sealed, as_bytes(k_snapshot_aad));
  if (!plain)
    throw Error(Code::integrity, fmt::format("snapshot {} failed authentication", id),
                fmt::format("\"offsite forget {}\" removes the damaged snapshot", id));
  const auto doc = nlohmann::json::parse(plain->begin(), plain->end(), nullptr, false);
  if (doc.is_discarded())
    throw Error(Code::integrity, fmt::format("snapshot {} is not valid JSON", id),
                fmt::format("\"offsite forget {}\" removes the damaged snapshot", id));
  return snapshot_from_json(doc, id);
}

std::vector<Snapshot> Repository::list_snapshots() {
  std::vector<Snapshot> out;
  for (const auto& o : list_all(m_store, k_snapshots_prefix)) {
    const std::string id = o.key.substr(k_snapshots_prefix.size());
    if (id.size() != 64 || !is_hex(id)) continue; // not ours (the store may hold stray names)
    out.push_back(load_snapshot(id));
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.id < b.id;
  });
  return out;
}

std::string Repository::resolve_snapshot_id(std::string_view ref) {
  std::string prefix(ref);
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (!is_hex(prefix) || prefix.empty() || prefix.size() > 64) throw no_match(ref);
  if (prefix.size() < k_min_prefix)
    throw Error(Code::usage,
                fmt::format("snapshot ID prefix \"{}\" is too short",
                            util::printable(ref, k_ref_in_messages)),
                "give at least 4 hex digits of the ID (offsite snapshots lists them)");
  std::vector<std::string> matches;
  for (const auto& o : list_all(m_store, std::string(k_snapshots_prefix) + prefix)) {
    std::string id = o.key.substr(k_snapshots_prefix.size());
    if (id.size() == 64 && is_hex(id)) matches.push_back(std::move(id));
  }
  if (matches.empty()) throw no_match(ref);
  if (matches.size() > 1) {
    // Show each candidate just long enough to tell them apart (8+ digits).
    std::sort(matches.begin(), matches.end());
    std::size_t width = 8;
    for (std::size_t i = 1; i < matches.size(); ++i) {
      const auto diff =
          std::mismatch(matches[i - 1].begin(), matches[i - 1].end(), matches[i].begin());
      width = std::max(width, static_cast<std::size_t>(diff.first - matches[i - 1].begin()) + 1);
    }
    std::string list;
    for (std::size_t i = 0; i < matches.size() && i < 10; ++i)
      list += (i ? ", " : "") + matches[i].substr(0, width);
    if (matches.size() > 10) list += fmt::format(" and {} more", matches.size() - 10);
    throw Error(Code::usage,
                fmt::format("snapshot ID prefix \"{}\" is ambiguous: it matches {}",
                            util::printable(ref, k_ref_in_messages), list),
                "give more digits of the ID");
  }
  return matches.front();
}

} // namespace offsite::core
