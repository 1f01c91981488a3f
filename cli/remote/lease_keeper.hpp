#pragma once
// Holds one lease for as long as a command runs: takes it (waiting up to
// --retry-lock while another client holds a conflicting one), refreshes it
// from a thread, and gives it back at the end. A lease that is lost — it
// expired during a long network cut, or someone ran "unlock --force" — stops
// the command as Ctrl-C would (safe point, nothing half-written), because
// going on could race a prune.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cli/ui/terminal.hpp"
#include "core/repo/lease.hpp"

namespace offsite::cli {

// Long enough that a short network cut does not lose it, short enough that a
// crashed client blocks a prune for at most two minutes.
constexpr std::chrono::milliseconds k_lease_ttl{120'000};
constexpr std::chrono::milliseconds k_lease_refresh_every{30'000};

class LeaseKeeper {
public:
  // Throws Error(locked) naming the holders once `wait` has passed.
  LeaseKeeper(core::LeaseTable& table, core::LeaseKind kind, const core::LeaseOwner& owner,
              std::chrono::seconds wait, Terminal& terminal);
  // Stops refreshing and releases (a failure to release is only a warning:
  // the lease then runs out by itself).
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Why the lease was lost, if it was.
  std::optional<std::string> lost() const;
  // Nothing else may have taken the repository: not lost, and confirmed by
  // the keeper less than a TTL (minus a margin) ago, on a clock that counts
  // suspended time — a laptop that slept through its lease finds out here
  // before it records anything.
  bool still_held() const;
  // For the message when still_held() is false.
  std::string why_not_held() const;
  // The lease went with what it protected (unregister): stop refreshing it
  // and do not release it.
  void abandon();

private:
  void refresh_loop();

  core::LeaseTable& m_table;
  Terminal& m_terminal;
  core::Lease m_lease;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  bool m_abandoned = false;
  std::optional<std::string> m_lost;
  std::atomic<std::int64_t> m_confirmed_ms{0}; // boot clock, before the last good refresh
  std::thread m_thread;
};

// This process as a lease owner: host, pid, user and the command's name.
core::LeaseOwner this_process(const std::string& command);

} // namespace offsite::cli
