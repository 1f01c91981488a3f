#pragma once
// Shared by the proxy-layer unit tests: an echo server standing in for a
// data-centre server, a one-connection fake proxy driven by a script, and a
// relay. Everything listens on 127.0.0.1 ephemeral ports, every wait is
// bounded, and every thread is joined.

#include <doctest/doctest.h>

#include <poll.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/test_transport_helpers.hpp"
#include "transport/net/connector.hpp"
#include "transport/net/tcp_connector.hpp"

namespace offsite::transport::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes read_n(Stream& stream, std::size_t n) {
  Bytes buffer(n);
  stream.read_exact(buffer, soon());
  return buffer;
}

inline void send(Stream& stream, const Bytes& bytes) { stream.write_all(bytes, soon()); }

// Reads up to and including "\r\n\r\n" (bounded), for fake HTTP proxies.
inline std::string read_http_head(Stream& stream) {
  std::string head;
  std::uint8_t byte = 0;
  while (head.size() < 65536 && head.find("\r\n\r\n") == std::string::npos) {
    if (stream.read_some({&byte, 1}, soon()) == 0) break;
    head += static_cast<char>(byte);
  }
  return head;
}

// Copies bytes both ways until both sides have closed (or the deadline).
inline void relay(Stream& a, Stream& b, Deadline deadline) {
  bool a_open = true;
  bool b_open = true;
  Bytes buffer(16384);
  while ((a_open || b_open) && !deadline.expired()) {
    pollfd fds[2] = {{a.native_handle(), static_cast<short>(a_open ? POLLIN : 0), 0},
                     {b.native_handle(), static_cast<short>(b_open ? POLLIN : 0), 0}};
    if (::poll(fds, 2, 50) <= 0) continue;
    auto pump = [&](Stream& from, Stream& to, bool& open, short revents) {
      if (!open || !(revents & (POLLIN | POLLHUP | POLLERR))) return;
      std::size_t got = from.read_some(buffer, deadline);
      if (got == 0) {
        open = false;
        to.shutdown_write(deadline);
      } else {
        to.write_all({buffer.data(), got}, deadline);
      }
    };
    pump(a, b, a_open, fds[0].revents);
    pump(b, a, b_open, fds[1].revents);
  }
}

// Echoes every connection (one at a time) until stopped; stands in for a
// data-centre server.
class EchoServer {
public:
  EchoServer()
      : m_listener(listen_loopback()), m_thread([this] {
          while (!m_stop) {
            auto stream = m_listener->accept(Deadline::after(std::chrono::milliseconds(50)));
            if (!stream) continue;
            ++served; // before echoing, so a client that got its echo sees the count
            try {
              Bytes buffer(4096);
              for (;;) {
                std::size_t got = stream->read_some(buffer, soon());
                if (got == 0) break;
                stream->write_all({buffer.data(), got}, soon());
              }
              stream->shutdown_write(soon());
            } catch (const TransportError&) {
            }
          }
        }) {}
  ~EchoServer() {
    m_stop = true;
    m_thread.join();
  }
  Endpoint endpoint() const { return m_listener->local_endpoint(); }
  std::atomic<int> served{0};

private:
  std::atomic<bool> m_stop{false};
  std::unique_ptr<TcpListener> m_listener;
  Background m_thread;
};

// Accepts one connection and runs `script` on it; remembers how the script
// failed, if it did (checked by the test after join()).
class FakeProxy {
public:
  using Script = std::function<void(Stream& client)>;
  explicit FakeProxy(Script script)
      : m_listener(listen_loopback()), m_thread([this, script = std::move(script)] {
          auto client = m_listener->accept(soon());
          if (!client) {
            error = "nobody connected";
            return;
          }
          try {
            script(*client);
          } catch (const std::exception& e) {
            error = e.what();
          }
        }) {}
  Endpoint endpoint() const { return m_listener->local_endpoint(); }
  void join() { m_thread.join(); }
  std::string error;

private:
  std::unique_ptr<TcpListener> m_listener;
  Background m_thread;
};

// Waits (bounded) for the client to go away, so the proxy does not close first.
inline void wait_for_close(Stream& stream) {
  Bytes buffer(256);
  try {
    while (stream.read_some(buffer, soon()) != 0) {
    }
  } catch (const TransportError&) {
  }
}

// A port on 127.0.0.1 where nothing listens (refused).
inline Endpoint dead_endpoint() {
  auto listener = listen_loopback();
  return listener->local_endpoint();
}

inline Failure connect_failure(Connector& connector, const Endpoint& where,
                               Deadline deadline = soon()) {
  try {
    connector.connect(where, deadline);
  } catch (const TransportError& e) {
    return e.failure();
  }
  FAIL("the connection should have failed");
  return {};
}

// Sends `text` and expects it back (through an EchoServer).
inline std::string echo_round_trip(Stream& stream, const std::string& text) {
  stream.write_all(bytes_of(text), soon());
  Bytes buffer(text.size());
  stream.read_exact(buffer, soon());
  return text_of(buffer);
}

inline std::shared_ptr<Connector> tcp_for_proxies() {
  return std::make_shared<TcpConnector>(TcpOptions{true, std::nullopt});
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace offsite::transport::test
