#include "server/serve/throttle.hpp"

namespace offsite::server {

void Throttle::prune(std::deque<Clock::time_point>& times, Clock::time_point now) const {
  while (!times.empty() && now - times.front() >= k_window)
    times.pop_front();
}

std::optional<std::chrono::milliseconds> Throttle::retry_after(const std::string& key,
                                                               Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  const auto it = m_failures.find(key);
  if (it == m_failures.end()) return std::nullopt;
  prune(it->second, now);
  if (it->second.empty()) {
    m_failures.erase(it);
    return std::nullopt;
  }
  if (it->second.size() < k_max_failures) return std::nullopt;
  const auto wait = it->second.front() + k_window - now;
  return std::chrono::ceil<std::chrono::milliseconds>(wait);
}

void Throttle::record_failure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  if (m_failures.size() >= k_max_keys && !m_failures.contains(key)) {
    // Drop every key whose failures have all expired; if that frees nothing,
    // forget everything rather than grow (throttling is best effort).
    for (auto it = m_failures.begin(); it != m_failures.end();) {
      prune(it->second, now);
      it = it->second.empty() ? m_failures.erase(it) : std::next(it);
    }
    if (m_failures.size() >= k_max_keys) m_failures.clear();
  }
  auto& times = m_failures[key];
  prune(times, now);
  times.push_back(now);
  // Only the newest k_max_failures matter for the decision.
  while (times.size() > k_max_failures)
    times.pop_front();
}

} // namespace offsite::server
