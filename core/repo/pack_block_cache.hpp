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
// from blocks of `block_size` (k_block_size unless given). Thread-safe; concurrent readers of one
// block wait for a single store read. Ready blocks are kept up to `max_bytes`, least recently used
// dropped first; a failed read is not kept.
#include <cstddef>
#include <cstdint>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "core/common/bytes.hpp"
#include "core/store/store.hpp"

namespace offsite::core {

class PackBlockCache {
public:
  static constexpr std::uint64_t k_block_size = std::uint64_t{1} << 20;

  PackBlockCache(Store& store, std::size_t max_bytes, std::uint64_t block_size = k_block_size);

  std::optional<Bytes> get(const std::string& key, std::uint64_t offset, std::uint64_t length);

private:
  using BlockKey = std::pair<std::string, std::uint64_t>; // object, block number
  // nullopt: the object is missing.
  using Block = std::shared_future<std::optional<Bytes>>;

  Block block(const BlockKey& key);
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
};

} // namespace offsite::core
