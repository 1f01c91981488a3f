#include "transport/net/tcp_listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace offsite::transport {

namespace {
constexpr const char* k_listen_step = "listen";
}

std::unique_ptr<TcpListener> TcpListener::listen(const Endpoint& endpoint, int backlog) {
  auto ip = IpAddress::parse(endpoint.host);
  if (!ip) {
    throw TransportError(FailureKind::other, k_listen_step,
                         fmt::format("{} is not an IP address to listen on", endpoint.host));
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = ip->family == IpAddress::Family::v4 ? AF_INET : AF_INET6;
  if (family == AF_INET) {
    auto& in = reinterpret_cast<sockaddr_in&>(storage);
    in.sin_family = AF_INET;
    in.sin_port = htons(endpoint.port);
    std::memcpy(&in.sin_addr, ip->bytes.data(), 4);
    length = sizeof in;
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(endpoint.port);
    std::memcpy(&in6.sin6_addr, ip->bytes.data(), 16);
    length = sizeof in6;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw TransportError(classify_errno(errno, k_listen_step, endpoint.to_string()));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0 ||
      ::listen(fd, backlog) != 0) {
    int error = errno;
    ::close(fd);
    throw TransportError(
        FailureKind::other, k_listen_step,
        fmt::format("cannot listen on {}: {}", endpoint.to_string(), std::strerror(error)));
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    int error = errno;
    ::close(fd);
    throw TransportError(FailureKind::other, k_listen_step,
                         fmt::format("cannot create a pipe: {}", std::strerror(error)));
  }
  return std::unique_ptr<TcpListener>(new TcpListener(fd, wake[0], wake[1]));
}

TcpListener::TcpListener(int fd, int wake_read, int wake_write)
    : m_fd(fd), m_wake_read(wake_read), m_wake_write(wake_write) {}

TcpListener::~TcpListener() {
  ::close(m_fd);
  ::close(m_wake_read);
  ::close(m_wake_write);
}

Endpoint TcpListener::local_endpoint() const { return transport::local_endpoint(m_fd); }

void TcpListener::stop() noexcept {
  m_stopped.store(true);
  char byte = 1;
  [[maybe_unused]] auto ignored = ::write(m_wake_write, &byte, 1);
}

std::unique_ptr<SocketStream> TcpListener::accept(Deadline deadline) {
  for (;;) {
    if (m_stopped.load()) return nullptr;
    int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      return std::make_unique<SocketStream>(fd, peer_endpoint(fd).to_string());
    }
    switch (errno) {
    case EAGAIN:
#if EAGAIN != EWOULDBLOCK
    case EWOULDBLOCK:
#endif
      break;
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH: continue; // the pending connection died; take the next one
    default:
      throw TransportError(FailureKind::other, "accept",
                           fmt::format("cannot accept a connection: {}", std::strerror(errno)));
    }
    pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_wake_read, POLLIN, 0}};
    int rc = ::poll(fds, 2, deadline.poll_timeout_ms());
    if (rc == 0 && deadline.expired()) return nullptr;
  }
}

} // namespace offsite::transport
