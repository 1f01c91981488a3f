#include "server/serve/throttle.hpp"

namespace offsite::server {

void Throttle::prune(std::deque<Clock::time_point>& times, Clock::time_point now) const {
  while (!times.empty() && now - times.front() >= m_window)
    times.pop_front();
}

std::optional<std::chrono::milliseconds> Throttle::retry_after(const std::string& key,
                                                               Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  const auto it = m_events.find(key);
  if (it == m_events.end()) return std::nullopt;
  prune(it->second, now);
  if (it->second.empty()) {
    m_events.erase(it);
    return std::nullopt;
  }
  if (m_max_events == 0 || it->second.size() < m_max_events) return std::nullopt;
  const auto wait = it->second.front() + m_window - now;
  return std::chrono::ceil<std::chrono::milliseconds>(wait);
}

void Throttle::record(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  if (m_max_events == 0) return;
  if (m_events.size() >= k_max_keys && !m_events.contains(key)) {
    // Drop every key whose events have all expired; if that frees nothing,
    // forget everything rather than grow (throttling is best effort).
    for (auto it = m_events.begin(); it != m_events.end();) {
      prune(it->second, now);
      it = it->second.empty() ? m_events.erase(it) : std::next(it);
    }
    if (m_events.size() >= k_max_keys) m_events.clear();
  }
  auto& times = m_events[key];
  prune(times, now);
  times.push_back(now);
  // Only the newest m_max_events matter for the decision.
  while (times.size() > m_max_events)
    times.pop_front();
}

} // namespace offsite::server
