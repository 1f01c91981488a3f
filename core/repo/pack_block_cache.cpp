#include "core/repo/pack_block_cache.hpp"

#include <algorithm>
#include <cstring>

namespace offsite::core {

PackBlockCache::PackBlockCache(Store& store, std::size_t max_bytes, std::uint64_t block_size)
    : m_store(store), m_max_bytes(max_bytes), m_block_size(block_size) {}

PackBlockCache::Block PackBlockCache::block(const BlockKey& key) {
  std::promise<std::optional<Bytes>> promise;
  Block mine = promise.get_future().share();
  {
    std::lock_guard lock(m_mutex);
    if (auto it = m_blocks.find(key); it != m_blocks.end()) {
      m_lru.splice(m_lru.begin(), m_lru, it->second.use);
      return it->second.block;
    }
    m_lru.push_front(key);
    m_blocks.emplace(key, Entry{mine, m_lru.begin(), 0});
  }
  // This thread reads it; others asking meanwhile wait on the future. Until
  // its size is set the entry is never evicted.
  try {
    auto data = m_store.get(key.first, key.second * m_block_size, m_block_size);
    // An empty block (a missing object, or one past its end) still counts
    // one byte, so that eviction can tell it from a block being read.
    const std::size_t bytes = std::max<std::size_t>(data ? data->size() : 0, 1);
    promise.set_value(std::move(data));
    std::lock_guard lock(m_mutex);
    auto it = m_blocks.find(key);
    it->second.bytes = bytes;
    m_bytes += bytes;
    evict_locked();
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(m_mutex);
    auto it = m_blocks.find(key); // not kept: the next reader tries again
    m_lru.erase(it->second.use);
    m_blocks.erase(it);
  }
  return mine;
}

void PackBlockCache::advise(NextUse next_use) {
  std::lock_guard lock(m_mutex);
  m_next_use = std::move(next_use);
}

void PackBlockCache::evict_locked() {
  // Blocks still being read (bytes 0) are skipped, kept.
  while (m_next_use && m_bytes > m_max_bytes) {
    // The one needed last, the least recently used of those.
    auto victim = m_blocks.end();
    std::uint64_t latest = 0;
    for (auto it = m_lru.rbegin(); it != m_lru.rend(); ++it) {
      auto entry = m_blocks.find(*it);
      if (entry->second.bytes == 0) continue;
      const std::uint64_t next = m_next_use(it->first, it->second);
      if (victim == m_blocks.end() || next > latest) {
        victim = entry;
        latest = next;
        if (next == UINT64_MAX) break;
      }
    }
    if (victim == m_blocks.end()) return;
    m_bytes -= victim->second.bytes;
    m_lru.erase(victim->second.use);
    m_blocks.erase(victim);
  }
  // Oldest first.
  auto it = m_lru.end();
  while (m_bytes > m_max_bytes && it != m_lru.begin()) {
    --it;
    auto entry = m_blocks.find(*it);
    if (entry->second.bytes == 0) continue;
    m_bytes -= entry->second.bytes;
    m_blocks.erase(entry);
    it = m_lru.erase(it);
  }
}

std::optional<Bytes> PackBlockCache::get(const std::string& key, std::uint64_t offset,
                                         std::uint64_t length) {
  Bytes out;
  out.reserve(static_cast<std::size_t>(length));
  const std::uint64_t end = offset + length;
  for (std::uint64_t at = offset; at < end;) {
    const std::uint64_t number = at / m_block_size;
    const Block held = block({key, number}); // keeps the bytes while they are copied
    const std::optional<Bytes>& data = held.get();
    if (!data) return std::nullopt;
    const std::uint64_t inside = at - number * m_block_size;
    if (inside >= data->size()) break; // past the end of the object
    const std::uint64_t take = std::min<std::uint64_t>(end - at, data->size() - inside);
    out.insert(out.end(), data->begin() + static_cast<std::ptrdiff_t>(inside),
               data->begin() + static_cast<std::ptrdiff_t>(inside + take));
    at += take;
    if (data->size() < m_block_size) break; // the object's last block
  }
  return out;
}

} // namespace offsite::core
