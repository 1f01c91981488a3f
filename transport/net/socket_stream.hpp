#pragma once
// A Stream over a connected TCP socket (non-blocking underneath; every wait
// is a poll(2) bounded by the caller's Deadline).

#include <atomic>
#include <string>

#include "transport/net/endpoint.hpp"
#include "transport/net/stream.hpp"

namespace offsite::transport {

class SocketStream final : public Stream {
public:
  // Takes ownership of `fd` (a connected stream socket) and makes it
  // non-blocking. `peer` names the other end in error messages.
  SocketStream(int fd, std::string peer);
  ~SocketStream() override;

  void write_all(ByteSpan data, Deadline deadline) override;
  std::size_t read_some(MutableSpan buffer, Deadline deadline) override;
  std::optional<std::size_t> read_available(MutableSpan buffer) override;
  void shutdown_write(Deadline deadline) override;
  void abort() noexcept override;
  int native_handle() const noexcept override { return m_fd; }

  const std::string& peer() const { return m_peer; }

private:
  int m_fd;
  std::string m_peer;
};

// The local address of a connected or bound socket (getsockname).
Endpoint local_endpoint(int fd);
// The address of the peer of a connected socket (getpeername).
Endpoint peer_endpoint(int fd);

// Failure for errno `error` during `step` with `peer`: ECONNRESET/EPIPE ->
// reset, ECONNREFUSED -> refused, ENETUNREACH/EHOSTUNREACH -> unreachable,
// ETIMEDOUT -> timeout, anything else -> other.
Failure classify_errno(int error, std::string step, const std::string& peer);

} // namespace offsite::transport
