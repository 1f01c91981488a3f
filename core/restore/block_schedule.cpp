#include "core/restore/block_schedule.hpp"

#include <algorithm>
#include <limits>

namespace offsite::core::restore_detail {

BlockSchedule::BlockSchedule(const Repository& repo, const std::vector<BlobId>& contents,
                             std::uint64_t block_size) {
  // Positions beyond 32 bits are not told apart: the rest of a restore that
  // large is "later" as a whole.
  constexpr std::size_t k_last = std::numeric_limits<std::uint32_t>::max();
  // Mostly small blobs in one block; large ones (up to a few MiB) in more.
  m_uses.reserve(contents.size() * 2);
  for (std::size_t i = 0; i < contents.size(); ++i) {
    const auto at = repo.index().find(contents[i]);
    if (!at || at->length == 0) continue;
    const auto [it, fresh] = m_packs.try_emplace(Repository::pack_key(at->pack),
                                                 static_cast<std::uint32_t>(m_packs.size()));
    const auto position = static_cast<std::uint32_t>(std::min(i, k_last));
    const std::uint64_t first = at->offset / block_size;
    const std::uint64_t last = (std::uint64_t{at->offset} + at->length - 1) / block_size;
    for (std::uint64_t b = first; b <= last; ++b)
      m_uses.push_back({it->second, static_cast<std::uint32_t>(b), position});
  }
  std::sort(m_uses.begin(), m_uses.end());
}

std::uint64_t BlockSchedule::next_use(const std::string& key, std::uint64_t block) const {
  const auto pack = m_packs.find(key);
  if (pack == m_packs.end() || block > std::numeric_limits<std::uint32_t>::max()) return UINT64_MAX;
  const std::size_t now = m_now.load(std::memory_order_relaxed);
  const Use from{pack->second, static_cast<std::uint32_t>(block),
                 static_cast<std::uint32_t>(
                     std::min<std::size_t>(now, std::numeric_limits<std::uint32_t>::max()))};
  const auto it = std::lower_bound(m_uses.begin(), m_uses.end(), from);
  if (it == m_uses.end() || it->pack != from.pack || it->block != from.block) return UINT64_MAX;
  return it->position;
}

} // namespace offsite::core::restore_detail
