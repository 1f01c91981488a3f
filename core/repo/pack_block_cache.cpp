#include "core/repo/pack_block_cache.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

namespace offsite::core {

PackBlockCache::PackBlockCache(Store& store, std::size_t max_bytes, std::uint64_t block_size)
    : m_store(store), m_max_bytes(max_bytes), m_block_size(block_size) {}

std::vector<PackBlockCache::Block> PackBlockCache::blocks(const std::string& key,
                                                          std::uint64_t first, std::uint64_t last) {
  std::vector<Block> held;
  held.reserve(static_cast<std::size_t>(last - first + 1));
  // The blocks this thread reads: their numbers and promises, in order.
  std::vector<Reading> mine;
  {
    std::lock_guard lock(m_mutex);
    for (std::uint64_t number = first; number <= last; ++number) {
      BlockKey block_key{key, number};
      if (auto it = m_blocks.find(block_key); it != m_blocks.end()) {
        m_lru.splice(m_lru.begin(), m_lru, it->second.use);
        held.push_back(it->second.block);
        continue;
      }
      auto& promise = mine.emplace_back(number, std::promise<std::optional<Bytes>>()).second;
      held.push_back(promise.get_future().share());
      m_lru.push_front(block_key);
      m_blocks.emplace(std::move(block_key), Entry{held.back(), m_lru.begin(), 0});
    }
    if (!mine.empty()) read_along_locked(key, first, last, mine);
  }
  // Neighbours missing together are read with one request: a store far
  // away costs about as much per request as per 256 KiB it sends. All of
  // ours are settled before any other thread's block is waited for, so two
  // readers of overlapping ranges never wait on each other.
  for (std::size_t begin = 0; begin < mine.size();) {
    std::size_t end = begin + 1;
    while (end < mine.size() && mine[end].first == mine[end - 1].first + 1)
      ++end;
    try {
      fill(key, std::span(mine).subspan(begin, end - begin));
    } catch (...) {
      // Not kept: the next reader tries again. Our blocks not read yet fail
      // too, or their waiters would wait for ever.
      std::lock_guard lock(m_mutex);
      for (std::size_t i = begin; i < mine.size(); ++i) {
        mine[i].second.set_exception(std::current_exception());
        auto it = m_blocks.find({key, mine[i].first});
        m_lru.erase(it->second.use);
        m_blocks.erase(it);
      }
      break;
    }
    begin = end;
  }
  return held;
}

void PackBlockCache::read_along_locked(const std::string& key, std::uint64_t first,
                                       std::uint64_t last, std::vector<Reading>& mine) {
  if (!m_next_use || m_near == 0) return;
  std::uint64_t soonest = UINT64_MAX;
  for (const auto& reading : mine)
    soonest = std::min(soonest, m_next_use(key, reading.first));
  if (soonest == UINT64_MAX) return;
  const std::uint64_t horizon = soonest > UINT64_MAX - m_near ? UINT64_MAX : soonest + m_near;
  // A block joins when it is not held, the reader needs it soon, and it
  // touches the request (only ends that are read themselves can grow).
  const auto wanted = [&](std::uint64_t number) {
    if (m_blocks.contains({key, number})) return false;
    const std::uint64_t next = m_next_use(key, number);
    return next != UINT64_MAX && next <= horizon;
  };
  const auto join = [&](std::uint64_t number) {
    Reading reading{number, std::promise<std::optional<Bytes>>()};
    m_lru.push_front({key, number});
    m_blocks.emplace(BlockKey{key, number},
                     Entry{reading.second.get_future().share(), m_lru.begin(), 0});
    return reading;
  };
  std::vector<Reading> before;
  if (mine.front().first == first)
    for (std::uint64_t n = first; n > 0 && before.size() < k_read_along && wanted(n - 1); --n)
      before.push_back(join(n - 1));
  if (mine.back().first == last)
    for (std::uint64_t n = last + 1; n - last <= k_read_along && wanted(n); ++n)
      mine.push_back(join(n));
  mine.insert(mine.begin(), std::make_move_iterator(before.rbegin()),
              std::make_move_iterator(before.rend()));
}

void PackBlockCache::fill(const std::string& key, std::span<Reading> run) {
  const std::uint64_t first = run.front().first;
  auto data = m_store.get(key, first * m_block_size, run.size() * m_block_size);
  std::vector<std::optional<Bytes>> pieces;
  if (run.size() == 1) {
    pieces.push_back(std::move(data));
  } else {
    for (std::size_t i = 0; i < run.size(); ++i) {
      if (!data) {
        pieces.emplace_back();
        continue;
      }
      const std::size_t from = std::min<std::size_t>(i * m_block_size, data->size());
      const std::size_t to = std::min<std::size_t>(from + m_block_size, data->size());
      pieces.emplace_back(std::in_place, data->begin() + static_cast<std::ptrdiff_t>(from),
                          data->begin() + static_cast<std::ptrdiff_t>(to));
    }
  }
  std::vector<std::size_t> sizes;
  sizes.reserve(run.size());
  for (std::size_t i = 0; i < run.size(); ++i) {
    // An empty block (a missing object, or one past its end) still counts
    // one byte, so that eviction can tell it from a block being read.
    sizes.push_back(std::max<std::size_t>(pieces[i] ? pieces[i]->size() : 0, 1));
    run[i].second.set_value(std::move(pieces[i]));
  }
  std::lock_guard lock(m_mutex);
  for (std::size_t i = 0; i < run.size(); ++i) {
    m_blocks.find({key, run[i].first})->second.bytes = sizes[i];
    m_bytes += sizes[i];
  }
  evict_locked();
}

void PackBlockCache::advise(NextUse next_use, std::uint64_t near) {
  std::lock_guard lock(m_mutex);
  m_next_use = std::move(next_use);
  m_near = m_next_use ? near : 0;
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
  if (length == 0) return out;
  out.reserve(static_cast<std::size_t>(length));
  const std::uint64_t end = offset + length;
  const std::uint64_t first = offset / m_block_size;
  // Held while their bytes are copied.
  const std::vector<Block> held = blocks(key, first, (end - 1) / m_block_size);
  for (std::uint64_t at = offset; at < end;) {
    const std::uint64_t number = at / m_block_size;
    const std::optional<Bytes>& data = held[number - first].get();
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
