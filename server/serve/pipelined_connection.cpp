#include "server/serve/pipelined_connection.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include "server/serve/request_scheduler.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::server {

using transport::Deadline;
using transport::FailureKind;
using transport::Frame;
using transport::TransportError;

WakeFd::WakeFd() : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (m_fd < 0)
    throw TransportError(FailureKind::other, "pipeline",
                         fmt::format("eventfd: {}", std::strerror(errno)));
}

WakeFd::~WakeFd() { ::close(m_fd); }

void WakeFd::notify() const noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(m_fd, &one, sizeof one);
}

void WakeFd::clear() const noexcept {
  std::uint64_t count = 0;
  [[maybe_unused]] auto got = ::read(m_fd, &count, sizeof count);
}

namespace {

// Gives back the length prefix the loop read to charge the frame, then
// reads on from the stream: read_frame_or_eof sees one whole frame.
class ReplayStream final : public transport::Stream {
public:
  ReplayStream(transport::Stream& inner, std::array<std::uint8_t, 4> head)
      : m_inner(inner), m_head(head) {}
  void write_all(transport::ByteSpan data, Deadline deadline) override {
    m_inner.write_all(data, deadline);
  }
  std::size_t read_some(transport::MutableSpan buffer, Deadline deadline) override {
    if (m_replayed == m_head.size()) return m_inner.read_some(buffer, deadline);
    const auto n = std::min(buffer.size(), m_head.size() - m_replayed);
    std::copy_n(m_head.begin() + static_cast<std::ptrdiff_t>(m_replayed), n, buffer.begin());
    m_replayed += n;
    return n;
  }
  void shutdown_write(Deadline deadline) override { m_inner.shutdown_write(deadline); }
  void abort() noexcept override { m_inner.abort(); }
  int native_handle() const noexcept override { return m_inner.native_handle(); }
  bool has_buffered_input() const noexcept override {
    return m_replayed < m_head.size() || m_inner.has_buffered_input();
  }

private:
  transport::Stream& m_inner;
  std::array<std::uint8_t, 4> m_head;
  std::size_t m_replayed = 0;
};

// How long to sleep between looks at the budget when it is spent and no
// reply of ours is ready (other connections give it back).
constexpr int k_budget_poll_ms = 20;
constexpr int k_busy_poll_ms = 1000;

class Loop {
public:
  Loop(transport::Stream& stream, Session& session, ByteBudget& budget, const WakeFd& wake,
       const PipelineSettings& settings, const ConnectionHooks& hooks)
      : m_stream(stream), m_session(session), m_budget(budget), m_wake(wake), m_settings(settings),
        m_hooks(hooks), m_own_workers(settings.shared_workers
                                          ? nullptr
                                          : std::make_unique<WorkerPool>(settings.max_in_flight)),
        m_scheduler(
            settings.shared_workers ? *settings.shared_workers : *m_own_workers,
            settings.max_in_flight, [&session](const Frame& r) { return session.handle(r); },
            [&wake] { wake.notify(); }) {}

  PipelineEnd run() {
    auto idle_since = std::chrono::steady_clock::now();
    for (;;) {
      if (write_ready()) idle_since = std::chrono::steady_clock::now();
      const std::size_t pending = m_scheduler.in_flight();
      if (pending == 0) {
        if (m_eof) {
          m_stream.shutdown_write(Deadline::after(std::chrono::seconds(5)));
          return PipelineEnd::closed;
        }
        if (m_unregistering) {
          // Nothing runs now: Session may be read from this thread.
          m_unregistering = false;
          if (!m_session.account()) return PipelineEnd::logged_out;
        }
        if (!m_hooks.wait_for_request()) return PipelineEnd::closed;
      } else {
        m_hooks.busy();
        if (m_hooks.stopping()) m_stop_reading = true;
      }
      const bool want_read =
          !m_eof && !m_stop_reading && !m_unregistering && m_scheduler.has_room();
      if (want_read && m_stream.has_buffered_input()) {
        read_one();
        continue;
      }
      const auto idle_deadline = Deadline::at(idle_since + m_settings.idle_timeout);
      if (pending == 0 && idle_deadline.expired()) return PipelineEnd::closed;
      const int timeout = pending == 0 ? idle_deadline.poll_timeout_ms() : k_busy_poll_ms;
      pollfd fds[2] = {{m_wake.fd(), POLLIN, 0}, {m_stream.native_handle(), POLLIN, 0}};
      const int ready = ::poll(fds, want_read ? 2 : 1, timeout);
      if (ready < 0 && errno != EINTR)
        throw TransportError(FailureKind::other, "pipeline", std::strerror(errno));
      if (ready <= 0) continue;
      if (fds[0].revents & POLLIN) m_wake.clear();
      // A stop that woke the poll wins over a request that arrived with it.
      if (want_read && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && !m_hooks.stopping())
        read_one();
    }
  }

private:
  // Writes every finished reply whose turn it is; true if it wrote any.
  bool write_ready() {
    bool wrote = false;
    while (auto reply = m_scheduler.take_reply()) {
      transport::write_frame(m_stream, reply->frame, Deadline::after(m_settings.idle_timeout));
      wrote = true;
    }
    return wrote;
  }

  // `bytes` of the budget; meanwhile our own finished replies are written
  // (they give budget back). Waits at most idle_timeout: a server whose
  // budget stays spent that long is stuck, and the client is told by a
  // closed connection rather than by a hang.
  ByteBudget::Charge charge(std::size_t bytes) {
    const auto deadline = Deadline::after(m_settings.idle_timeout);
    for (;;) {
      if (auto charged = m_budget.try_charge(bytes)) return charged;
      write_ready();
      if (deadline.expired())
        throw TransportError(FailureKind::timeout, "pipeline",
                             "the server's memory budget for requests stayed spent");
      pollfd fd{m_wake.fd(), POLLIN, 0};
      if (::poll(&fd, 1, k_budget_poll_ms) > 0) m_wake.clear();
    }
  }

  void read_one() {
    const auto deadline = Deadline::after(m_settings.idle_timeout);
    std::array<std::uint8_t, 4> head{};
    std::size_t got = 0;
    while (got < head.size()) {
      const auto n = m_stream.read_some(transport::MutableSpan(head).subspan(got), deadline);
      if (n == 0) {
        if (got == 0) {
          m_eof = true;
          return;
        }
        throw TransportError(FailureKind::protocol, "read frame",
                             "the connection closed inside a frame");
      }
      got += n;
    }
    m_hooks.busy();
    const std::size_t body = (std::size_t{head[0]} << 24) | (std::size_t{head[1]} << 16) |
                             (std::size_t{head[2]} << 8) | std::size_t{head[3]};
    auto charged = charge(std::min(body + head.size(), transport::k_max_frame_size));
    ReplayStream replay(m_stream, head);
    auto frame = transport::read_frame(replay, deadline, transport::k_max_frame_size);
    auto order = order_of(frame);
    if (order.reply_bytes != 0) charged.absorb(charge(order.reply_bytes));
    // Unregister logs out: what follows is read under the pre-login rules.
    if (frame.op == transport::Op::unregister) m_unregistering = true;
    m_scheduler.submit(std::move(frame), std::move(order), std::move(charged));
  }

  transport::Stream& m_stream;
  Session& m_session;
  ByteBudget& m_budget;
  const WakeFd& m_wake;
  const PipelineSettings& m_settings;
  const ConnectionHooks& m_hooks;
  // Declared before the scheduler: it must outlive the tasks it runs.
  std::unique_ptr<WorkerPool> m_own_workers;
  RequestScheduler m_scheduler;
  bool m_eof = false;
  bool m_stop_reading = false;
  bool m_unregistering = false;
};

} // namespace

PipelineEnd serve_pipelined(transport::Stream& stream, Session& session, ByteBudget& budget,
                            const WakeFd& wake, const PipelineSettings& settings,
                            const ConnectionHooks& hooks) {
  Loop loop(stream, session, budget, wake, settings, hooks);
  return loop.run();
}

} // namespace offsite::server
