#pragma once
// A sliding-window rate limit, in memory and per process: after `max_events`
// events for one key within `window`, the key is throttled until the oldest
// event leaves the window. The handler keys it by source address, for two
// kinds of event:
// - failed authentications (5 a minute). The handler still checks every
//   secret it is sent and lets a correct one in, so this only ever delays
//   failures: nobody's failures lock out a rightful owner, from any address.
//   Guessing a 256-bit secret is hopeless anyway; this tells a misbehaving
//   client to slow down.
// - registrations in open mode (--max-registrations-per-hour), so that one
//   address cannot create accounts without end.

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
  // max_events 0: never throttled.
  Throttle(std::size_t max_events, std::chrono::seconds window)
      : m_max_events(max_events), m_window(window) {}

  // Beyond this many tracked keys the oldest are forgotten, so a flood of
  // distinct keys cannot grow memory without bound.
  static constexpr std::size_t k_max_keys = 100000;

  // How long `key` must wait before it may try again; nullopt when it may now.
  std::optional<std::chrono::milliseconds> retry_after(const std::string& key,
                                                       Clock::time_point now = Clock::now());
  void record(const std::string& key, Clock::time_point now = Clock::now());

private:
  void prune(std::deque<Clock::time_point>& times, Clock::time_point now) const;
  const std::size_t m_max_events;
  const std::chrono::seconds m_window;
  std::mutex m_mutex;
  std::map<std::string, std::deque<Clock::time_point>> m_events;
};

} // namespace offsite::server
