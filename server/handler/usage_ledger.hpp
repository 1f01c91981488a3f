#pragma once
// Quota accounting of one front-end when several serve one store (issue 17).
//
// Each front-end caches an account's usage (bytes and objects in its
// repository) and keeps it up to date with its own puts and removes, but
// other front-ends change the same account behind its back. So the cached
// figure is only trusted while it is both fresh and far from the limit; the
// ledger recounts from the store (a listing of the account's repository):
//  - before every put whose cached figure comes within the margin of a limit
//    (max(10 %, 64 MiB) of the byte quota, max(1 %, 1) of the object quota),
//  - before refusing any put for quota (so a removal through another
//    front-end is seen at once),
//  - when the cached figure is older than k_max_age or ten times what the
//    last count took (a big account on a remote store is counted at most
//    about 10 % of the time).
// BOUND: an account exceeds its quota by at most the puts in flight at the
// same time on all front-ends (about one pack each), plus, far from the
// limit, what other front-ends store for it within k_max_age beyond the
// margin. A put whose count ran concurrently with another put may be
// counted twice meanwhile: the error is always towards refusing, and the
// next count corrects it.
//
// Thread-safe; reserve() blocks while it counts (one count per account at a
// time: concurrent callers wait for it and share its result).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "server/state/account_registry.hpp"

namespace offsite::server {

class UsageLedger {
public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Counter = std::function<Usage(const std::string& account)>;
  static constexpr std::chrono::seconds k_max_age{10};
  static constexpr std::uint64_t k_min_byte_margin = 64u << 20;

  // `count` lists the account's repository in the store (it may throw; the
  // put is then refused with that error). `clock` is injectable for tests.
  explicit UsageLedger(Counter count, Clock clock = {});

  enum class Verdict { done, over_bytes, over_objects };
  // Reserves one object of `size` bytes when the account stays within
  // `quota` bytes and `quota_objects` objects (0 = no limit).
  Verdict reserve(const std::string& account, std::uint64_t size, std::uint64_t quota,
                  std::uint64_t quota_objects);
  // Ends a reservation: the put stored the object (`stored`), or not.
  void finish(const std::string& account, std::uint64_t size, bool stored);
  // Objects this front-end removed.
  void removed(const std::string& account, std::uint64_t bytes, std::uint64_t objects);
  // The account is gone: drop what is cached of it.
  void forget(const std::string& account);
  // The cached figure (stored plus in flight), counted first if unknown.
  Usage usage(const std::string& account);

private:
  struct Entry {
    Usage stored;          // counted, plus this front-end's changes since
    Usage in_flight;       // reserved by puts not finished yet
    Usage landed_in_count; // puts finished while a count ran
    bool known = false;
    bool counting = false;
    std::chrono::steady_clock::time_point counted_at{};
    std::chrono::steady_clock::duration count_took{};
  };
  // Counts `account` (or waits for the count in progress); `lock` holds
  // m_mutex on entry and on return.
  void recount(const std::string& account, std::unique_lock<std::mutex>& lock);
  bool is_fresh(const Entry& entry) const;

  Counter m_count;
  Clock m_clock;
  std::mutex m_mutex;
  std::condition_variable m_counted;
  std::map<std::string, Entry> m_entries;
};

} // namespace offsite::server
