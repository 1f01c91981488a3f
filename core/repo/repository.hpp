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

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/backup/chunker.hpp"
#include "core/crypto/keys.hpp"
#include "core/format/blob.hpp"
#include "core/format/index.hpp"
#include "core/format/pack.hpp"
#include "core/format/snapshot.hpp"
#include "core/repo/pack_block_cache.hpp"
#include "core/store/store.hpp"

namespace offsite::core {

// Where snapshot documents live in the store (the layout above).
inline constexpr std::string_view k_snapshots_prefix = "snapshots/";

struct RepositoryOptions {
  int zstd_level = 3;
  std::size_t pack_size = k_pack_target_size;
};

// An object under index/ that could not be used, and why (printable).
struct IndexFileProblem {
  std::string key; // "index/<name>", as listed (may hold any bytes)
  std::string reason;
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
  // options.zstd_level applies to blobs written by this instance.
  Repository(Store& store, const MasterKey& key, RepositoryOptions options = {});
  // Does not flush: an interrupted backup leaves what flush() or the
  // periodic index files made durable, and nothing half-written.
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  const std::string& id() const { return m_id; }
  const MasterKey& key() const { return m_key; }
  const BlobCodec& codec() const { return m_codec; }
  const Chunker& chunker() const { return m_chunker; }
  const Index& index() const { return m_index; }
  Store& store() { return m_store; }

  // Loads every index file not loaded yet (before backup or restore; again
  // after listing snapshots that a concurrent backup may have added, whose
  // index files are written before them). An object under index/ that is
  // damaged, or not named like an index file, is skipped (once) and
  // returned, never fatal: the caller warns, naming "offsite repair index".
  std::vector<IndexFileProblem> load_index();

  // Every index file with its packs, in key order, without adding them to
  // index(): for prune, check and repair. Files removed meanwhile are
  // skipped. A damaged or misnamed object goes to `damaged` when given;
  // without it, Error(integrity) naming it (prune must not guess which
  // packs a damaged file named).
  std::vector<IndexFile> read_index_files(std::vector<IndexFileProblem>* damaged = nullptr);
  // Drops the packs from the in-memory index (the store lost them), so
  // their blobs count as absent and are stored again; returns how many
  // blobs were dropped. Adds packs whose headers were read (recovered).
  std::size_t forget_packs(const std::vector<std::string>& pack_names);
  void add_packs(const std::vector<IndexedPack>& packs);
  // Seals and stores an index file listing `packs`; returns its name.
  std::string write_index_file(const std::vector<IndexedPack>& packs);
  // Removes index/<name>; false when it was already gone.
  bool remove_index_file(const std::string& name);

  bool has_blob(const BlobId& id) const;

  // Thread-safe; seals outside the lock so callers on several threads use
  // several cores. Returns true when the blob was new and is now queued.
  bool save_blob(BlobType type, const BlobId& id, ByteView plaintext);
  BlobId save_blob(BlobType type, ByteView plaintext);

  // Throws Error(integrity) naming the pack when the blob fails to
  // authenticate, Error(not_found) when it is not indexed.
  Bytes load_blob(BlobType type, const BlobId& id);

  // From now on, packs are read in blocks kept up to `max_bytes`
  // (pack_block_cache.hpp): for restore and dump, which read most blobs of
  // the packs they touch. Call before other threads load blobs; a second
  // call keeps the first cache.
  void cache_pack_reads(std::size_t max_bytes);
  // Passes the reader's order to that cache (PackBlockCache::advise); no
  // effect without one.
  void advise_pack_reads(PackBlockCache::NextUse next_use, std::uint64_t near = 0);

  // One blob of load_blob_run: its plaintext, or what load_blob would throw.
  struct BlobLoad {
    std::optional<Bytes> data;
    std::exception_ptr error;
  };
  // Loads data blobs stored close together in one pack with a single ranged
  // get: on an S3 store a round trip per blob is what makes a restore slow.
  // Each blob is checked and opened on its own, exactly as load_blob does,
  // so a damaged blob fails only itself, with load_blob's error. The range
  // read spans the blobs in the pack of the first indexed one, including
  // the gaps between them; others are loaded with load_blob.
  std::vector<BlobLoad> load_blob_run(const std::vector<BlobId>& ids);

  // Uploads open packs and writes an index file for packs not yet indexed.
  // After flush() returns, everything saved is durable and findable.
  void flush();

  RepositoryStats stats() const;

  std::string save_snapshot(const Snapshot& snapshot); // returns its id
  std::vector<Snapshot> list_snapshots();              // sorted by time
  Snapshot load_snapshot(const std::string& id);
  // The full ID of a full ID or unique prefix (>= 4 hex digits, any case),
  // by listing the store. Error(not_found) / Error(usage) for an ambiguous or
  // too short prefix. Commands resolve references ("latest", filters) through
  // core::resolve_snapshot (snapshot_select.hpp), which calls this.
  std::string resolve_snapshot_id(std::string_view ref);

  // Authenticates a pack's header (fetching only the pack's tail).
  // Error(integrity) naming the pack when it is damaged, Error(not_found)
  // when it does not exist. For check and index rebuilds.
  std::vector<PackEntry> read_pack_header(const std::string& pack_name);
  // The whole pack, its SHA-256 checked against its name; Error(integrity)
  // on mismatch, Error(not_found) when it does not exist.
  Bytes load_pack(const std::string& pack_name);
  // "data/<first 2 hex>/<name>"
  static std::string pack_key(const std::string& pack_name);

private:
  struct Config {
    std::string id;
    ChunkerParams chunker;
  };
  static Config read_config(Store& store, const MasterKey& key);
  Repository(Store& store, const MasterKey& key, RepositoryOptions options, Config config);

  // Blocks until fewer than k_max_uploads packs are on their way; then, if
  // `pack` is full (or `force` and non-empty), takes its blobs and counts
  // them in m_uploads_in_flight. Rethrows an earlier upload's failure.
  std::optional<std::vector<PackBuilder::Pending>>
  take_pack_locked(std::unique_lock<std::mutex>& lock, PackBuilder& pack, bool force);
  // Data and tree blobs never share a pack: reading trees (every backup with
  // a parent, restore, ls, find, check) then fetches packs of trees only,
  // in few requests, instead of one ranged get per tree among data.
  PackBuilder& pack_for(BlobType type) { return m_packs[type == BlobType::tree ? 1 : 0]; }
  // A blob saved but not yet taken for upload (in m_packs), or nullptr. Lock held.
  const Bytes* find_unsent_locked(const BlobId& id) const;
  // Assembles taken blobs into a pack (without the lock) and queues it for
  // the upload thread, starting that thread on first use.
  void send_pack(std::vector<PackBuilder::Pending> blobs);
  // The upload thread: uploads queued packs in order until m_stopping.
  void upload_loop();
  // Uploads one pack counted in m_uploads_in_flight; takes the lock itself
  // afterwards to index it (and every k_packs_per_index packs, writes an
  // index file). On failure uncounts it and rethrows.
  void upload_pack(FinishedPack pack);
  // Seals and stores an index file for m_unindexed; drops the lock while
  // uploading. On failure the packs stay in m_unindexed.
  void write_index_locked(std::unique_lock<std::mutex>& lock);
  Bytes load_from_pack(BlobType type, const BlobId& id, const BlobLocation& loc);
  // A range of a pack: through the block cache when there is one.
  std::optional<Bytes> read_pack_range(const std::string& pack, std::uint64_t offset,
                                       std::uint64_t length);
  // Checks and opens blob `id` at `loc`, given what the store returned for
  // its range (`sealed`; nullopt when the pack is missing). The one place
  // that decides load_blob's errors, for single blobs and runs alike.
  Bytes open_from_pack(BlobType type, const BlobId& id, const BlobLocation& loc,
                       std::optional<ByteView> sealed);
  // load_from_pack at each location in turn; the first one's error when all fail.
  Bytes load_from_any(BlobType type, const BlobId& id, const std::vector<BlobLocation>& locations);
  // nullopt when the file is gone; Error(integrity) when it is damaged.
  std::optional<std::vector<IndexedPack>> read_index_file(const std::string& name);
  // read_index_file for a listed key: a misnamed or damaged object goes to
  // `damaged` (nullopt) when given, else Error(integrity).
  std::optional<std::vector<IndexedPack>> read_index_object(const std::string& key,
                                                            std::vector<IndexFileProblem>* damaged);
  // Gets an object whose name is the SHA-256 of its bytes, checking it.
  std::optional<Bytes> get_hashed(const std::string& key, std::string_view name);

  Store& m_store;
  std::unique_ptr<PackBlockCache> m_block_cache; // null: every read goes to the store
  // Trees of a remote store, read in blocks of packs that hold only trees:
  // a backup with a parent, a restore or an ls reads hundreds of trees that
  // sit together, and a round trip for each one was most of a 5 % changed
  // backup's time against S3. Small blocks, because old packs mix trees of
  // many snapshots and a block may serve only one of them.
  static constexpr std::size_t k_tree_cache_bytes = std::size_t{32} << 20;
  static constexpr std::uint64_t k_tree_block_size = std::uint64_t{256} << 10;
  std::unique_ptr<PackBlockCache> m_tree_cache; // null: the store is local
  MasterKey m_key;
  RepositoryOptions m_options;
  BlobCodec m_codec;
  Chunker m_chunker;
  std::string m_id;
  Index m_index;
  std::unordered_set<std::string> m_loaded_index_files; // by load_index (one thread)

  // Guards everything below. Sealing and store I/O happen outside it.
  mutable std::mutex m_mutex;
  std::condition_variable m_uploads_done; // also signalled when m_packs or m_in_flight change
  std::size_t m_uploads_in_flight = 0;    // taken from m_packs, not yet uploaded
  std::condition_variable m_upload_wanted;
  std::deque<FinishedPack> m_upload_queue;
  std::exception_ptr m_upload_error; // the first failed upload; every later write rethrows it
  bool m_stopping = false;
  std::thread m_uploader;                             // joined by the destructor
  std::array<PackBuilder, 2> m_packs;                 // by pack_for: data, tree
  std::unordered_set<BlobId, BlobIdHash> m_in_flight; // saved, not yet indexed
  std::vector<IndexedPack> m_unindexed;               // uploaded, not yet in an index file
  RepositoryStats m_stats;
};

} // namespace offsite::core
