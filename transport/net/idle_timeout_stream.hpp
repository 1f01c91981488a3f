#pragma once
// A Stream on which every step must make progress within an idle timeout,
// whatever the caller's overall deadline: a 64 MiB frame on a slow uplink
// may take minutes as a whole, but a peer that takes nothing and sends
// nothing for `idle` (a stopped server, a dead proxy, a firewall that drops
// the connection silently) is a timeout after `idle`, not after the whole
// frame's deadline.
//
// Contract: as Stream. Writes go down in pieces of at most 64 KiB, each with
// its own idle deadline (never later than the caller's). A timeout caused by
// the idle limit says so ("nothing moved for N s").
#include <chrono>
#include <memory>

#include "transport/net/stream.hpp"

namespace offsite::transport {

class IdleTimeoutStream final : public Stream {
public:
  IdleTimeoutStream(std::unique_ptr<Stream> inner, std::chrono::milliseconds idle);

  void write_all(ByteSpan data, Deadline deadline) override;
  std::size_t read_some(MutableSpan buffer, Deadline deadline) override;
  std::optional<std::size_t> read_available(MutableSpan buffer) override {
    return m_inner->read_available(buffer);
  }
  void shutdown_write(Deadline deadline) override;
  void abort() noexcept override { m_inner->abort(); }
  int native_handle() const noexcept override { return m_inner->native_handle(); }
  bool has_buffered_input() const noexcept override { return m_inner->has_buffered_input(); }

private:
  // The sooner of the caller's deadline and the idle limit from now; sets
  // `idle_binds` when the idle limit is the sooner one.
  Deadline step_deadline(Deadline caller, bool& idle_binds) const;
  [[noreturn]] void rethrow_idle(const TransportError& e) const;

  std::unique_ptr<Stream> m_inner;
  std::chrono::milliseconds m_idle;
};

} // namespace offsite::transport
