#pragma once
// The accepting side of TCP, for offsited and for tests. The client never
// listens (PRODUCT.md §1), so only the server and tests use this.

#include <atomic>
#include <memory>

#include "transport/net/deadline.hpp"
#include "transport/net/endpoint.hpp"
#include "transport/net/socket_stream.hpp"

namespace offsite::transport {

class TcpListener {
public:
  // Binds and listens on an IP literal endpoint (port 0 = ephemeral), with
  // SO_REUSEADDR so a restarted server can bind at once. Throws
  // TransportError (step "listen") when the address is unusable or taken.
  static std::unique_ptr<TcpListener> listen(const Endpoint& endpoint, int backlog = 128);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // The bound address (with the real port when 0 was asked for).
  Endpoint local_endpoint() const;

  // Waits for the next connection until `deadline`; nullptr when the
  // deadline passes or stop() was called. Transient accept errors are
  // retried; running out of descriptors or memory throws TransportError so
  // the caller can back off. One thread at a time.
  std::unique_ptr<SocketStream> accept(Deadline deadline);

  // Wakes a blocked accept() and makes every later one return nullptr.
  // Thread-safe and async-signal-safe (it only writes to a pipe).
  void stop() noexcept;

  int native_handle() const noexcept { return m_fd; }

private:
  TcpListener(int fd, int wake_read, int wake_write);
  int m_fd;
  int m_wake_read;
  int m_wake_write;
  std::atomic<bool> m_stopped{false};
};

} // namespace offsite::transport
