#pragma once
// When a restore reads each block of each pack: the order the pre-scan
// lists the blobs in, mapped to the blocks that hold them. The pack block
// cache asks it which block is needed last and drops that one first
// (PackBlockCache::advise).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/repo/repository.hpp"

namespace offsite::core::restore_detail {

class BlockSchedule {
public:
  // `contents`: the blobs in the order the restore takes them.
  BlockSchedule(const Repository& repo, const std::vector<BlobId>& contents,
                std::uint64_t block_size);

  // The walk has taken everything before `position` of the contents.
  void advance(std::size_t position) { m_now.store(position, std::memory_order_relaxed); }

  // The first position at or after the walk's that needs the block;
  // UINT64_MAX when none does. Thread-safe.
  std::uint64_t next_use(const std::string& key, std::uint64_t block) const;

private:
  struct Use {
    std::uint32_t pack; // in m_packs
    std::uint32_t block;
    std::uint32_t position;
    auto operator<=>(const Use&) const = default;
  };
  std::unordered_map<std::string, std::uint32_t> m_packs; // object key -> number
  std::vector<Use> m_uses;                                // sorted
  std::atomic<std::size_t> m_now{0};
};

} // namespace offsite::core::restore_detail
