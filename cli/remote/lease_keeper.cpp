#include "cli/remote/lease_keeper.hpp"

#include <algorithm>

#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/ui/interrupt.hpp"
#include "core/common/error.hpp"
#include "core/common/host.hpp"

namespace offsite::cli {

namespace {

using Clock = std::chrono::steady_clock;

// CLOCK_BOOTTIME: unlike steady_clock it keeps counting while the machine
// is suspended.
std::int64_t boot_ms() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

constexpr std::chrono::milliseconds k_held_margin{15'000};

core::Lease acquire_waiting(core::LeaseTable& table, core::LeaseKind kind,
                            const core::LeaseOwner& owner, std::chrono::seconds wait,
                            Terminal& terminal) {
  const auto give_up = Clock::now() + wait;
  auto pause = std::chrono::milliseconds(1000);
  bool told = false;
  for (;;) {
    try {
      return table.acquire(kind, owner, k_lease_ttl);
    } catch (const Error& e) {
      if (e.code() != Code::locked || Clock::now() >= give_up) throw;
      if (!told) {
        terminal.info(fmt::format("{}\nwaiting up to {}s for it to go (--retry-lock)", e.what(),
                                  wait.count()));
        told = true;
      }
    }
    // Sleep in short steps so Ctrl-C is honoured at once.
    // The last try comes at the deadline itself.
    for (const auto until = std::min(Clock::now() + pause, give_up); Clock::now() < until;) {
      if (interrupted()) throw Error(Code::interrupted, "interrupted while waiting for a lock");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    pause = std::min(pause * 2, std::chrono::milliseconds(15'000));
  }
}

} // namespace

core::LeaseOwner this_process(const std::string& command) {
  return {core::local_host_name(), static_cast<std::int64_t>(getpid()), core::local_user_name(),
          command};
}

LeaseKeeper::LeaseKeeper(core::LeaseTable& table, core::LeaseKind kind,
                         const core::LeaseOwner& owner, std::chrono::seconds wait,
                         Terminal& terminal)
    : m_table(table), m_terminal(terminal),
      m_lease(acquire_waiting(table, kind, owner, wait, terminal)), m_confirmed_ms(boot_ms()) {
  const std::string_view name = core::lease_kind_name(kind);
  m_terminal.detail(
      fmt::format("holding {} {} lock ({})", name.starts_with('e') ? "an" : "a", name, m_lease.id));
  m_thread = std::thread([this] { refresh_loop(); });
}

void LeaseKeeper::abandon() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
    m_abandoned = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
  if (m_abandoned) return;
  try {
    m_table.release(m_lease.id);
  } catch (const std::exception& e) {
    m_terminal.warning(fmt::format("could not release the repository's lock ({}); it expires by "
                                   "itself within {}s",
                                   e.what(), k_lease_ttl.count() / 1000));
  }
}

std::optional<std::string> LeaseKeeper::lost() const {
  std::lock_guard lock(m_mutex);
  return m_lost;
}

bool LeaseKeeper::still_held() const {
  if (lost()) return false;
  return boot_ms() - m_confirmed_ms.load() < (k_lease_ttl - k_held_margin).count();
}

std::string LeaseKeeper::why_not_held() const {
  if (auto why = lost()) return *why;
  return fmt::format("the repository's lock was last confirmed {}s ago, longer than it lasts "
                     "(the machine slept, or the data centre was unreachable)",
                     (boot_ms() - m_confirmed_ms.load()) / 1000);
}

void LeaseKeeper::refresh_loop() {
  std::unique_lock lock(m_mutex);
  while (!m_wake.wait_for(lock, k_lease_refresh_every, [this] { return m_stop; })) {
    lock.unlock();
    std::optional<std::string> failure;
    try {
      const std::int64_t asked = boot_ms();
      m_table.refresh(m_lease.id, k_lease_ttl);
      m_confirmed_ms = asked;
    } catch (const Error& e) {
      // A network failure is retried at the next turn; a lost lease is final.
      if (e.code() == Code::locked) failure = e.what();
    } catch (const std::exception&) {
    }
    lock.lock();
    if (failure) {
      m_lost = failure;
      interrupt_now();
      return;
    }
  }
}

} // namespace offsite::cli
