#include "transport/net/socket_stream.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace offsite::transport {

namespace {

Endpoint endpoint_from(const sockaddr_storage& storage) {
  Endpoint endpoint;
  IpAddress address;
  if (storage.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(storage);
    address.family = IpAddress::Family::v4;
    std::memcpy(address.bytes.data(), &in.sin_addr, 4);
    endpoint.port = ntohs(in.sin_port);
  } else if (storage.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(storage);
    address.family = IpAddress::Family::v6;
    std::memcpy(address.bytes.data(), &in6.sin6_addr, 16);
    endpoint.port = ntohs(in6.sin6_port);
  } else {
    return endpoint;
  }
  endpoint.host = address.to_string();
  return endpoint;
}

// Waits for `events` on `fd`; false when the deadline passed first.
bool wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd pfd{fd, events, 0};
    int rc = ::poll(&pfd, 1, deadline.poll_timeout_ms());
    if (rc > 0) return true;
    if (rc == 0) {
      if (deadline.expired()) return false;
      continue; // woke early (rounding): wait out the rest
    }
    if (errno != EINTR) return true; // let the following syscall report it
  }
}

} // namespace

Failure classify_errno(int error, std::string step, const std::string& peer) {
  std::string what = std::strerror(error);
  switch (error) {
  case ECONNRESET:
  case EPIPE:
  case ECONNABORTED:
    return {FailureKind::reset, std::move(step),
            fmt::format("the connection to {} was reset ({})", peer, what)};
  case ECONNREFUSED:
    return {FailureKind::refused, std::move(step),
            fmt::format("{} refused the connection: nothing listens on that port, or a firewall "
                        "rejects it",
                        peer)};
  case ENETUNREACH:
  case EHOSTUNREACH:
  case ENETDOWN:
  case EHOSTDOWN:
    return {FailureKind::unreachable, std::move(step),
            fmt::format("{} is unreachable ({}): no route to it from this machine", peer, what)};
  case ETIMEDOUT:
    return {FailureKind::timeout, std::move(step),
            fmt::format("{} stopped answering ({})", peer, what)};
  default: return {FailureKind::other, std::move(step), fmt::format("{}: {}", peer, what)};
  }
}

Endpoint local_endpoint(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};
  return endpoint_from(storage);
}

Endpoint peer_endpoint(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};
  return endpoint_from(storage);
}

SocketStream::SocketStream(int fd, std::string peer) : m_fd(fd), m_peer(std::move(peer)) {
  int flags = ::fcntl(m_fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(m_fd, F_SETFL, flags | O_NONBLOCK);
}

SocketStream::~SocketStream() { ::close(m_fd); }

void SocketStream::write_all(ByteSpan data, Deadline deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t sent = ::send(m_fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (sent >= 0) {
      done += static_cast<std::size_t>(sent);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      throw TransportError(classify_errno(errno, "send", m_peer));
    if (!wait_for(m_fd, POLLOUT, deadline)) {
      throw TransportError(FailureKind::timeout, "send",
                           fmt::format("{} took no data before the deadline ({} of {} bytes sent)",
                                       m_peer, done, data.size()));
    }
  }
}

std::size_t SocketStream::read_some(MutableSpan buffer, Deadline deadline) {
  for (;;) {
    ssize_t got = ::recv(m_fd, buffer.data(), buffer.size(), 0);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      throw TransportError(classify_errno(errno, "receive", m_peer));
    if (!wait_for(m_fd, POLLIN, deadline)) {
      throw TransportError(FailureKind::timeout, "receive",
                           fmt::format("no data from {} before the deadline", m_peer));
    }
  }
}

std::optional<std::size_t> SocketStream::read_available(MutableSpan buffer) {
  for (;;) {
    ssize_t got = ::recv(m_fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    throw TransportError(classify_errno(errno, "receive", m_peer));
  }
}

void SocketStream::shutdown_write(Deadline) {
  if (::shutdown(m_fd, SHUT_WR) != 0 && errno != ENOTCONN)
    throw TransportError(classify_errno(errno, "close", m_peer));
}

void SocketStream::abort() noexcept { ::shutdown(m_fd, SHUT_RDWR); }

} // namespace offsite::transport
