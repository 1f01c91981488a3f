#pragma once
// Throttling of failed authentications, in memory and per process: after
// k_max_failures failures for one key (the handler uses the source address)
// within k_window, the key is throttled until the oldest failure leaves the
// window. The handler still checks every secret it is sent and lets a
// correct one in, so a throttle only ever delays failures: nobody's failures
// lock out a rightful owner, from any address. Guessing a 256-bit secret is
// hopeless anyway; this tells a misbehaving client to slow down.

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace offsite::server {

class Throttle {
public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t k_max_failures = 5;
  static constexpr std::chrono::seconds k_window{60};
  // Beyond this many tracked keys the oldest are forgotten, so a flood of
  // distinct keys cannot grow memory without bound.
  static constexpr std::size_t k_max_keys = 100000;

  // How long `key` must wait before it may try again; nullopt when it may now.
  std::optional<std::chrono::milliseconds> retry_after(const std::string& key,
                                                       Clock::time_point now = Clock::now());
  void record_failure(const std::string& key, Clock::time_point now = Clock::now());

private:
  void prune(std::deque<Clock::time_point>& times, Clock::time_point now) const;
  std::mutex m_mutex;
  std::map<std::string, std::deque<Clock::time_point>> m_failures;
};

} // namespace offsite::server
