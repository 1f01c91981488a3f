#include "server/handler/usage_ledger.hpp"

#include <algorithm>

namespace offsite::server {

namespace {

Usage plus(Usage a, Usage b) { return {a.bytes + b.bytes, a.objects + b.objects}; }

std::uint64_t less(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

UsageLedger::Verdict judge(Usage used, std::uint64_t size, std::uint64_t quota,
                           std::uint64_t quota_objects) {
  if (quota != 0 && (size > quota || used.bytes > quota - size))
    return UsageLedger::Verdict::over_bytes;
  if (quota_objects != 0 && used.objects >= quota_objects)
    return UsageLedger::Verdict::over_objects;
  return UsageLedger::Verdict::done;
}

bool near_limit(Usage used, std::uint64_t size, std::uint64_t quota, std::uint64_t quota_objects) {
  const std::uint64_t byte_margin = std::max(quota / 10, UsageLedger::k_min_byte_margin);
  const std::uint64_t object_margin = std::max<std::uint64_t>(quota_objects / 100, 1);
  const bool bytes_near = quota != 0 && used.bytes + size + byte_margin > quota;
  const bool objects_near = quota_objects != 0 && used.objects + 1 + object_margin > quota_objects;
  return bytes_near || objects_near;
}

} // namespace

UsageLedger::UsageLedger(Counter count, Clock clock)
    : m_count(std::move(count)), m_clock(std::move(clock)) {
  if (!m_clock) m_clock = [] { return std::chrono::steady_clock::now(); };
}

bool UsageLedger::is_fresh(const Entry& entry) const {
  const auto max_age =
      std::max<std::chrono::steady_clock::duration>(k_max_age, entry.count_took * 10);
  return entry.known && m_clock() - entry.counted_at < max_age;
}

void UsageLedger::recount(const std::string& account, std::unique_lock<std::mutex>& lock) {
  auto& entry = m_entries[account]; // std::map: stays valid while unlocked
  if (entry.counting) {
    m_counted.wait(lock, [&] { return !entry.counting; });
    if (entry.known) return; // else that count failed: try ourselves
  }
  entry.counting = true;
  entry.landed_in_count = {};
  const auto started = m_clock();
  lock.unlock(); // a listing may take a while
  Usage counted;
  try {
    counted = m_count(account);
  } catch (...) {
    lock.lock();
    entry.counting = false;
    m_counted.notify_all();
    throw;
  }
  lock.lock();
  // A put that landed during the listing may be missing from it: add it
  // (perhaps twice; towards refusing, and only until the next count).
  entry.stored = plus(counted, entry.landed_in_count);
  entry.known = true;
  entry.counting = false;
  entry.counted_at = m_clock();
  entry.count_took = entry.counted_at - started;
  m_counted.notify_all();
}

UsageLedger::Verdict UsageLedger::reserve(const std::string& account, std::uint64_t size,
                                          std::uint64_t quota, std::uint64_t quota_objects) {
  std::unique_lock lock(m_mutex);
  if (quota == 0 && quota_objects == 0) {
    auto& entry = m_entries[account];
    entry.in_flight = plus(entry.in_flight, {size, 1});
    return Verdict::done;
  }
  for (bool counted = false;; counted = true) {
    auto& entry = m_entries[account];
    const Usage used = plus(entry.stored, entry.in_flight);
    const Verdict verdict = judge(used, size, quota, quota_objects);
    if (!counted && (!is_fresh(entry) || verdict != Verdict::done ||
                     near_limit(used, size, quota, quota_objects))) {
      recount(account, lock);
      continue;
    }
    if (verdict != Verdict::done) return verdict;
    entry.in_flight = plus(entry.in_flight, {size, 1});
    return Verdict::done;
  }
}

void UsageLedger::finish(const std::string& account, std::uint64_t size, bool stored) {
  std::lock_guard lock(m_mutex);
  auto& entry = m_entries[account];
  entry.in_flight = {less(entry.in_flight.bytes, size), less(entry.in_flight.objects, 1)};
  if (!stored) return;
  entry.stored = plus(entry.stored, {size, 1});
  if (entry.counting) entry.landed_in_count = plus(entry.landed_in_count, {size, 1});
}

void UsageLedger::removed(const std::string& account, std::uint64_t bytes, std::uint64_t objects) {
  std::lock_guard lock(m_mutex);
  auto& entry = m_entries[account];
  entry.stored = {less(entry.stored.bytes, bytes), less(entry.stored.objects, objects)};
}

void UsageLedger::forget(const std::string& account) {
  std::lock_guard lock(m_mutex);
  if (const auto it = m_entries.find(account); it != m_entries.end() && !it->second.counting)
    m_entries.erase(it);
}

Usage UsageLedger::usage(const std::string& account) {
  std::unique_lock lock(m_mutex);
  if (!m_entries[account].known) recount(account, lock);
  const auto& entry = m_entries[account];
  return plus(entry.stored, entry.in_flight);
}

} // namespace offsite::server
