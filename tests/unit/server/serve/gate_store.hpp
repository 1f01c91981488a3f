#pragma once
// A store that makes concurrency visible to tests without timing: calls on
// chosen keys wait until the test opens their gate, gets may wait until N of
// them are in progress at once, and every call is logged as it starts and
// ends. Every wait is bounded (k_gate_wait); one that runs out is recorded
// and fails the test, so a server that serialises requests fails, not hangs.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/store/store.hpp"

namespace offsite::test {

inline constexpr std::chrono::seconds k_gate_wait{10};

class GateStore : public core::ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;

  // Calls on an object named `name` (the key's last part) wait until open().
  void hold(const std::string& name) {
    std::lock_guard lock(m_mutex);
    m_held.insert(name);
  }
  void open(const std::string& name) {
    std::lock_guard lock(m_mutex);
    m_held.erase(name);
    m_changed.notify_all();
  }
  // Every get waits until `n` gets are in progress at once.
  void gets_meet(int n) {
    std::lock_guard lock(m_mutex);
    m_meet = n;
  }
  // Waits until `entry` ("start get a") is in the log; false after k_gate_wait.
  bool wait_logged(const std::string& entry) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, k_gate_wait, [&] { return logged_locked(entry); });
  }
  // For what must not happen: waits up to `patience` for `entry`. A slow
  // machine can only make a broken server pass, never a correct one fail.
  bool logged_within(const std::string& entry, std::chrono::milliseconds patience) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, patience, [&] { return logged_locked(entry); });
  }
  bool logged(const std::string& entry) {
    std::lock_guard lock(m_mutex);
    return logged_locked(entry);
  }
  // Position of `entry` in the log, or -1.
  long position(const std::string& entry) {
    std::lock_guard lock(m_mutex);
    for (std::size_t i = 0; i < m_log.size(); ++i)
      if (m_log[i] == entry) return static_cast<long>(i);
    return -1;
  }
  bool gave_up() {
    std::lock_guard lock(m_mutex);
    return m_gave_up;
  }
  int most_gets_at_once() {
    std::lock_guard lock(m_mutex);
    return m_most_gets;
  }

  bool put(std::string_view key, ByteView data) override {
    enter("put", key);
    const bool created = ForwardingStore::put(key, data);
    leave("put", key);
    return created;
  }
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override {
    enter("get", key);
    auto data = ForwardingStore::get(key, offset, length);
    leave("get", key);
    return data;
  }
  std::optional<std::uint64_t> head(std::string_view key) override {
    enter("head", key);
    auto size = ForwardingStore::head(key);
    leave("head", key);
    return size;
  }
  core::ListPage list(std::string_view prefix, std::string_view start_after,
                      std::size_t limit) override {
    enter("list", prefix);
    auto page = ForwardingStore::list(prefix, start_after, limit);
    leave("list", prefix);
    return page;
  }

private:
  static std::string name_of(std::string_view key) {
    if (key.ends_with('/')) key.remove_suffix(1);
    const auto slash = key.rfind('/');
    return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
  }
  bool logged_locked(const std::string& entry) const {
    for (const auto& line : m_log)
      if (line == entry) return true;
    return false;
  }
  void enter(const std::string& op, std::string_view key) {
    const std::string name = name_of(key);
    std::unique_lock lock(m_mutex);
    m_log.push_back("start " + op + " " + name);
    m_changed.notify_all();
    bool met = true;
    if (op == "get") {
      ++m_gets;
      m_most_gets = std::max(m_most_gets, m_gets);
      met = m_changed.wait_for(lock, k_gate_wait, [&] { return m_most_gets >= m_meet; });
    }
    const bool opened =
        m_changed.wait_for(lock, k_gate_wait, [&] { return !m_held.contains(name); });
    if (!met || !opened) m_gave_up = true;
  }
  void leave(const std::string& op, std::string_view key) {
    std::lock_guard lock(m_mutex);
    if (op == "get") --m_gets;
    m_log.push_back("end " + op + " " + name_of(key));
    m_changed.notify_all();
  }

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::set<std::string> m_held;
  std::vector<std::string> m_log;
  int m_meet = 0;
  int m_gets = 0;
  int m_most_gets = 0;
  bool m_gave_up = false;
};

} // namespace offsite::test
