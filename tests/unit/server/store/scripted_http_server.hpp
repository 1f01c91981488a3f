#pragma once
// A loopback HTTP server that answers from a script, for the S3 store's
// retry paths that a healthy Ceph never shows: each request read (headers
// and Content-Length body) takes the next step, a raw reply, or "" to close
// the connection without a reply (a reply lost after the request landed).
// Connections are kept alive between steps, as RGW keeps them.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace offsite::test {

class ScriptedHttpServer {
public:
  explicit ScriptedHttpServer(std::vector<std::string> steps) : m_steps(std::move(steps)) {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("cannot listen on loopback");
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~ScriptedHttpServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_listener);
  }
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  // "METHOD /path" of every request read, in order.
  std::vector<std::string> requests() {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

private:
  // Waits (bounded, so the destructor is never stuck) for fd to be readable.
  bool readable(int fd) {
    for (int i = 0; i < 100 && !m_stop; ++i) { // 10 s at most
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) return true;
    }
    return false;
  }

  void serve() {
    while (!m_stop) {
      if (!readable(m_listener)) continue;
      const int conn = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      while (handle_one(conn)) {
      }
      ::close(conn);
    }
  }

  // Reads one request and plays the next step; false to close the connection.
  bool handle_one(int conn) {
    std::string in;
    std::size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      char buf[4096];
      if (!readable(conn)) return false;
      const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t body = 0;
    const std::size_t cl = in.find("Content-Length: ");
    if (cl != std::string::npos && cl < end) body = std::stoul(in.substr(cl + 16));
    while (in.size() < end + 4 + body) {
      char buf[4096];
      if (!readable(conn)) return false;
      const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
    std::string step;
    {
      std::lock_guard lock(m_mutex);
      m_requests.push_back(in.substr(0, in.find(' ', in.find(' ') + 1)));
      if (m_next < m_steps.size()) step = m_steps[m_next++];
    }
    if (step.empty()) return false;
    return ::send(conn, step.data(), step.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(step.size());
  }

  std::vector<std::string> m_steps;
  std::size_t m_next = 0;
  std::vector<std::string> m_requests;
  std::mutex m_mutex;
  std::atomic<bool> m_stop{false};
  int m_listener = -1;
  int m_port = 0;
  std::thread m_thread;
};

// A raw HTTP/1.1 reply with the given status line and body.
inline std::string http_reply(const std::string& status, const std::string& body = "") {
  return "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

} // namespace offsite::test
