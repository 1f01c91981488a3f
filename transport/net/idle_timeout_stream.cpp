#include "transport/net/idle_timeout_stream.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace offsite::transport {

namespace {

constexpr std::size_t k_write_piece = 64u << 10;

} // namespace

IdleTimeoutStream::IdleTimeoutStream(std::unique_ptr<Stream> inner, std::chrono::milliseconds idle)
    : m_inner(std::move(inner)), m_idle(idle) {}

Deadline IdleTimeoutStream::step_deadline(Deadline caller, bool& idle_binds) const {
  const Deadline idle = Deadline::after(m_idle);
  idle_binds = idle.when() < caller.when();
  return idle_binds ? idle : caller;
}

void IdleTimeoutStream::rethrow_idle(const TransportError& e) const {
  throw TransportError(FailureKind::timeout, e.failure().step,
                       fmt::format("nothing moved for {} s ({})",
                                   std::chrono::duration_cast<std::chrono::seconds>(m_idle).count(),
                                   e.failure().detail));
}

void IdleTimeoutStream::write_all(ByteSpan data, Deadline deadline) {
  for (std::size_t done = 0; done < data.size();) {
    const std::size_t piece = std::min(k_write_piece, data.size() - done);
    bool idle_binds = false;
    try {
      m_inner->write_all(data.subspan(done, piece), step_deadline(deadline, idle_binds));
    } catch (const TransportError& e) {
      if (idle_binds && e.failure().kind == FailureKind::timeout) rethrow_idle(e);
      throw;
    }
    done += piece;
  }
}

std::size_t IdleTimeoutStream::read_some(MutableSpan buffer, Deadline deadline) {
  bool idle_binds = false;
  try {
    return m_inner->read_some(buffer, step_deadline(deadline, idle_binds));
  } catch (const TransportError& e) {
    if (idle_binds && e.failure().kind == FailureKind::timeout) rethrow_idle(e);
    throw;
  }
}

void IdleTimeoutStream::shutdown_write(Deadline deadline) {
  bool idle_binds = false;
  m_inner->shutdown_write(step_deadline(deadline, idle_binds));
}

} // namespace offsite::transport
