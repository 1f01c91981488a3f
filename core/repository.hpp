#pragma once
// A repository: one account's encrypted, deduplicated objects in a Store.
//
// Keys in the store:
//   config                 sealed JSON: version, repository id, chunker params
//   keys/<hex>             key files (passphrase-wrapped master key, JSON)
//   data/<2 hex>/<sha256>  packs, named by the SHA-256 of their bytes
//   index/<sha256>         sealed index files
//   snapshots/<sha256>     sealed snapshot documents (JSON)
//   locks/<name>           lock leases

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/blob.hpp"
#include "core/chunker.hpp"
#include "core/index.hpp"
#include "core/keys.hpp"
#include "core/pack.hpp"
#include "core/snapshot.hpp"
#include "core/store.hpp"

namespace offsite::core {

struct RepositoryOptions {
  int zstd_level = 3;
  std::size_t pack_size = k_pack_target_size;
};

struct RepositoryStats {
  std::uint64_t data_blobs_new = 0;
  std::uint64_t tree_blobs_new = 0;
  std::uint64_t bytes_new_raw = 0;    // plaintext bytes of new blobs
  std::uint64_t bytes_new_stored = 0; // sealed bytes of new blobs
  std::uint64_t packs_written = 0;
};

class Repository {
public:
  // Writes config and a key file into an empty store. Throws Error(config)
  // when the store already holds a repository.
  static void init(Store& store, const MasterKey& key, std::string_view passphrase,
                   const crypto::ScryptParams& kdf = {});

  // Tries every key file; Error(wrong_passphrase) when none opens.
  static MasterKey unlock(Store& store, std::string_view passphrase);

  // Reads and authenticates the config. Does not load the index.
  Repository(Store& store, const MasterKey& key, RepositoryOptions options = {});
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  const std::string& id() const { return m_id; }
  const MasterKey& key() const { return m_key; }
  const BlobCodec& codec() const { return m_codec; }
  const Chunker& chunker() const { return m_chunker; }
  const Index& index() const { return m_index; }
  Store& store() { return m_store; }

  // Loads every index file (call once before backup or restore).
  void load_index();

  bool has_blob(const BlobId& id) const;

  // Thread-safe; seals outside the lock so callers on several threads use
  // several cores. Returns true when the blob was new and is now queued.
  bool save_blob(BlobType type, const BlobId& id, ByteView plaintext);
  BlobId save_blob(BlobType type, ByteView plaintext);

  // Throws Error(integrity) naming the pack when the blob fails to
  // authenticate, Error(not_found) when it is not indexed.
  Bytes load_blob(BlobType type, const BlobId& id);

  // Uploads open packs and writes an index file for packs not yet indexed.
  // After flush() returns, everything saved is durable and findable.
  void flush();

  RepositoryStats stats() const;

  std::string save_snapshot(const Snapshot& snapshot); // returns its id
  std::vector<Snapshot> list_snapshots();              // sorted by time
  Snapshot load_snapshot(const std::string& id);
  // Full id, unique prefix (>= 4 hex digits) or "latest". Error(not_found) /
  // Error(usage) for an ambiguous prefix.
  std::string resolve_snapshot(std::string_view ref);

private:
  void upload_pack(FinishedPack pack);
  void write_index_locked(std::unique_lock<std::mutex>& lock);

  Store& m_store;
  MasterKey m_key;
  RepositoryOptions m_options;
  BlobCodec m_codec;
  Chunker m_chunker;
  std::string m_id;
  Index m_index;

  mutable std::mutex m_mutex;
  std::condition_variable m_uploads_done;
  std::size_t m_uploads_in_flight = 0;
  PackBuilder m_pack;
  std::unordered_set<BlobId, BlobIdHash> m_in_flight; // saved, not yet indexed
  std::vector<IndexedPack> m_unindexed;                // uploaded, not yet in an index file
  RepositoryStats m_stats;
};

} // namespace offsite::core
