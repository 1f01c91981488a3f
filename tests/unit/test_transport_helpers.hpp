#pragma once
// Shared by the transport unit tests: loopback servers on ephemeral ports.
// Tests never send anything outside 127.0.0.0/8, and every wait is bounded.

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "transport/net/deadline.hpp"
#include "transport/net/tcp_listener.hpp"

namespace offsite::transport::test {

inline Deadline soon() { return Deadline::after(std::chrono::seconds(5)); }

inline std::unique_ptr<TcpListener> listen_loopback(int backlog = 16) {
  return TcpListener::listen(Endpoint{"127.0.0.1", 0}, backlog);
}

inline std::string text_of(ByteSpan bytes) { return std::string(bytes.begin(), bytes.end()); }

inline ByteSpan bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Runs `body` on a thread that is always joined, even when a check throws.
class Background {
public:
  template <class F> explicit Background(F body) : m_thread(std::move(body)) {}
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() { join(); }
  void join() {
    if (m_thread.joinable()) m_thread.join();
  }

private:
  std::thread m_thread;
};

} // namespace offsite::transport::test
