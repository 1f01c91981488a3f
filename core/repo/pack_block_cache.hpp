#pragma once
// Reads of packs in aligned blocks, kept for a while: what restore and dump
// use so that a store far away is asked once per block instead of once per
// blob.
//
// Why: backup shuffles the blobs inside each pack (core/format/pack.cpp), so
// a file's chunks are spread over its pack, and a restore that reads blob by
// blob asks the store for every one: ~70,000 ranged gets for 1 GiB, each
// costing a Ceph gateway ~1.5 ms of CPU. A restore consumes a pack's blobs
// within a short stretch of its progress (they were written together), so
// blocks read for one blob serve the next ones from memory.
//
// Contract: get() returns what Store::get(key, offset, length) would (a
// short read at the end of the object, nullopt when it is missing), built
// from blocks of `block_size` (k_block_size unless given). A read that
// spans several blocks asks the store once for each run of neighbours not
// held yet. Thread-safe; concurrent readers of one block wait for a single
// store read. Ready blocks are kept up to `max_bytes`, the least recently
// used dropped first (or, once advised of the reader's order, the one
// needed last); a failed read is not kept.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/store/store.hpp"

namespace offsite::core {

class PackBlockCache {
public:
  // A block read for one blob carries its neighbours, which a restore of a
  // snapshot after incremental backups may need only much later. Restoring
  // such a snapshot of a generated 1 GiB tree (64 MiB cache) fetched 2.3
  // times its data with 1 MiB blocks, 1.6 with 512 KiB and 1.2 with
  // 256 KiB, in a few more requests than 1 MiB blocks took; Ceph's CPU for
  // the restore fell by a quarter.
  static constexpr std::uint64_t k_block_size = std::uint64_t{1} << 18;

  PackBlockCache(Store& store, std::size_t max_bytes, std::uint64_t block_size = k_block_size);

  std::optional<Bytes> get(const std::string& key, std::uint64_t offset, std::uint64_t length);

  // When block `block` of object `key` is read next, in the reader's own
  // order (smaller is sooner; UINT64_MAX: not again, as far as it knows).
  // Called with the cache's lock held: it must not block.
  using NextUse = std::function<std::uint64_t(const std::string& key, std::uint64_t block)>;
  // From now on the block needed last is dropped first (Belady's rule), not
  // the least recently used: for a reader that knows its order in advance.
  // A restore of a snapshot after incremental backups needs blocks of the
  // later packs now and then all through its run; least-recently-used
  // dropped them between uses, and the data centre sent 3.5 times the
  // restored data. An empty function goes back to least recently used.
  //
  // `near` > 0: a read also fetches the neighbours of its blocks (up to
  // k_read_along on each side) that are not held and are needed within
  // `near` positions of the soonest of them, in the same request. The
  // prefetcher's runs end at gaps between the blobs it has been told of;
  // the schedule knows the whole restore, and a remote store costs about as
  // much per request as per 256 KiB it sends.
  void advise(NextUse next_use, std::uint64_t near = 0);
  static constexpr std::uint64_t k_read_along = 4;

private:
  using BlockKey = std::pair<std::string, std::uint64_t>; // object, block number
  // nullopt: the object is missing.
  using Block = std::shared_future<std::optional<Bytes>>;

  // A block this thread reads: its number and the promise its waiters hold.
  using Reading = std::pair<std::uint64_t, std::promise<std::optional<Bytes>>>;

  // Blocks first..last of `key`, read (missing neighbours together) or
  // waited for.
  std::vector<Block> blocks(const std::string& key, std::uint64_t first, std::uint64_t last);
  // Adds to `mine` (sorted, the missing blocks of first..last) the
  // neighbours advise() asks to read along, registered as being read.
  void read_along_locked(const std::string& key, std::uint64_t first, std::uint64_t last,
                         std::vector<Reading>& mine);
  // Reads the consecutive blocks of `run` with one request and settles
  // their promises.
  void fill(const std::string& key, std::span<Reading> run);
  void evict_locked();

  Store& m_store;
  std::size_t m_max_bytes;
  std::uint64_t m_block_size;
  std::mutex m_mutex;
  struct Entry {
    Block block;
    std::list<BlockKey>::iterator use; // in m_lru
    std::size_t bytes = 0;             // 0 until ready
  };
  std::map<BlockKey, Entry> m_blocks;
  std::list<BlockKey> m_lru; // most recently used first
  std::size_t m_bytes = 0;
  NextUse m_next_use;
  std::uint64_t m_near = 0;
};

} // namespace offsite::core
