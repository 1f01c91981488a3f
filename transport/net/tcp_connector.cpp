#include "transport/net/tcp_connector.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "util/fd.hpp"

namespace offsite::transport {

namespace {

constexpr const char* k_step = "tcp connect";

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
};

SocketAddress to_socket_address(const IpAddress& ip, std::uint16_t port) {
  SocketAddress address;
  if (ip.family == IpAddress::Family::v4) {
    auto& in = reinterpret_cast<sockaddr_in&>(address.storage);
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, ip.bytes.data(), 4);
    address.length = sizeof(sockaddr_in);
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(address.storage);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&in6.sin6_addr, ip.bytes.data(), 16);
    address.length = sizeof(sockaddr_in6);
  }
  return address;
}

std::string seconds_text(Deadline::Clock::duration duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  return fmt::format("{:.3g} s", seconds);
}

// getaddrinfo cannot be cancelled, so it runs on a detached thread and we
// wait for it no longer than the deadline.
std::vector<SocketAddress> resolve(const Endpoint& endpoint, Deadline deadline) {
  struct Lookup {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    int rc = 0;
    std::vector<SocketAddress> addresses;
  };
  auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, host = endpoint.host, port = endpoint.port] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    std::vector<SocketAddress> found;
    for (addrinfo* ai = list; rc == 0 && ai; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      SocketAddress address;
      std::memcpy(&address.storage, ai->ai_addr, ai->ai_addrlen);
      address.length = ai->ai_addrlen;
      found.push_back(address);
    }
    if (list) ::freeaddrinfo(list);
    std::lock_guard lock(lookup->mutex);
    lookup->rc = rc;
    lookup->addresses = std::move(found);
    lookup->done = true;
    lookup->done_cv.notify_all();
  }).detach();

  std::unique_lock lock(lookup->mutex);
  bool done = deadline.is_never()
                  ? (lookup->done_cv.wait(lock, [&] { return lookup->done; }), true)
                  : lookup->done_cv.wait_until(lock, deadline.when(), [&] { return lookup->done; });
  if (!done) {
    throw TransportError(
        FailureKind::timeout, "resolve",
        fmt::format("no answer from DNS for {} before the deadline", endpoint.host));
  }
  if (lookup->rc != 0 || lookup->addresses.empty()) {
    throw TransportError(
        FailureKind::name_resolution, "resolve",
        fmt::format("cannot resolve the host name {}: {}", endpoint.host,
                    lookup->rc ? ::gai_strerror(lookup->rc) : "no IPv4/IPv6 address"));
  }
  return std::move(lookup->addresses);
}

void set_option(int fd, int level, int name, int value) {
  ::setsockopt(fd, level, name, &value, sizeof value); // best effort: tuning only
}

// Walks the source-port range from a random start, one port per call.
class PortWalk {
public:
  explicit PortWalk(SourcePortRange range) : m_range(range) {
    std::random_device random;
    m_offset = std::uniform_int_distribution<std::uint32_t>(0, count() - 1)(random);
  }
  std::optional<std::uint16_t> next() {
    if (m_tried == count()) return std::nullopt;
    auto port = static_cast<std::uint16_t>(m_range.low + (m_offset + m_tried) % count());
    ++m_tried;
    return port;
  }

private:
  std::uint32_t count() const { return std::uint32_t{m_range.high} - m_range.low + 1; }
  SourcePortRange m_range;
  std::uint32_t m_offset = 0;
  std::uint32_t m_tried = 0;
};

// Binds `fd` to the next free port of the walk; false when none is left.
bool bind_source_port(int fd, int family, PortWalk& walk, const std::string& peer) {
  while (auto port = walk.next()) {
    SocketAddress local;
    if (family == AF_INET) {
      auto& in = reinterpret_cast<sockaddr_in&>(local.storage);
      in.sin_family = AF_INET;
      in.sin_port = htons(*port);
      in.sin_addr.s_addr = htonl(INADDR_ANY);
      local.length = sizeof(sockaddr_in);
    } else {
      auto& in6 = reinterpret_cast<sockaddr_in6&>(local.storage);
      in6.sin6_family = AF_INET6;
      in6.sin6_port = htons(*port);
      in6.sin6_addr = in6addr_any;
      local.length = sizeof(sockaddr_in6);
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local.storage), local.length) == 0)
      return true;
    if (errno == EADDRINUSE) continue;
    if (errno == EACCES) {
      throw TransportError(FailureKind::other, "bind source port",
                           fmt::format("binding source port {} needs privileges (ports below 1024 "
                                       "do); choose a source-port range from 1024 up",
                                       *port));
    }
    throw TransportError(classify_errno(errno, "bind source port", peer));
  }
  return false;
}

} // namespace

std::optional<SourcePortRange> SourcePortRange::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<SourcePortRange> {
    if (error) *error = fmt::format("\"{}\": {}", text, message);
    return std::nullopt;
  };
  auto dash = text.find('-');
  if (dash == std::string_view::npos)
    return fail("expected a port range LOW-HIGH, as in 1024-5000");
  auto number = [](std::string_view part) -> std::optional<std::uint16_t> {
    if (part.empty() || part.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
  };
  auto low = number(text.substr(0, dash));
  auto high = number(text.substr(dash + 1));
  if (!low || !high) return fail("both ends must be port numbers from 1 to 65535");
  if (*low > *high) return fail("the low end is above the high end");
  return SourcePortRange{*low, *high};
}

std::string SourcePortRange::to_string() const { return fmt::format("{}-{}", low, high); }

TcpConnector::TcpConnector(TcpOptions options) : m_options(options) {}

std::unique_ptr<Stream> TcpConnector::connect(const Endpoint& destination, Deadline deadline) {
  return connect_socket(destination, deadline);
}

std::unique_ptr<SocketStream> TcpConnector::connect_socket(const Endpoint& destination,
                                                           Deadline deadline) {
  const auto budget = deadline.remaining();
  const std::string peer = destination.to_string();
  std::vector<SocketAddress> addresses;
  if (auto ip = IpAddress::parse(destination.host)) {
    addresses.push_back(to_socket_address(*ip, destination.port));
  } else if (!m_options.allow_names) {
    throw TransportError(FailureKind::other, k_step,
                         fmt::format("{} is not an IP address; data-centre servers are reached by "
                                     "IP address and never looked up by name",
                                     destination.host));
  } else {
    addresses = resolve(destination, deadline);
  }

  std::optional<TransportError> last_error;
  for (const SocketAddress& address : addresses) {
    std::optional<PortWalk> walk;
    if (m_options.source_ports) walk.emplace(*m_options.source_ports);
    for (;;) { // one iteration per source port tried
      util::Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (fd.get() < 0) throw TransportError(classify_errno(errno, k_step, peer));
      set_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);
      set_option(fd.get(), SOL_SOCKET, SO_KEEPALIVE, 1);
      set_option(fd.get(), IPPROTO_TCP, TCP_KEEPIDLE, 60);
      set_option(fd.get(), IPPROTO_TCP, TCP_KEEPINTVL, 15);
      set_option(fd.get(), IPPROTO_TCP, TCP_KEEPCNT, 4);
      if (walk) {
        // SO_REUSEADDR lets us reuse a port whose old connection lingers in
        // TIME_WAIT; connect() still refuses a clashing 4-tuple (EADDRNOTAVAIL).
        set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
        if (!bind_source_port(fd.get(), address.family(), *walk, peer)) {
          throw TransportError(FailureKind::other, "bind source port",
                               fmt::format("every source port in {} is in use",
                                           m_options.source_ports->to_string()));
        }
      }
      int error = 0;
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage),
                    address.length) != 0) {
        error = errno;
      }
      if (error == EINPROGRESS || error == EINTR) {
        for (;;) {
          pollfd pfd{fd.get(), POLLOUT, 0};
          int rc = ::poll(&pfd, 1, deadline.poll_timeout_ms());
          if (rc < 0 && errno == EINTR) continue;
          if (rc == 0 && !deadline.expired()) continue;
          if (rc == 0) {
            throw TransportError(
                FailureKind::timeout, k_step,
                fmt::format("no answer from {} within {}: a packet filter probably drops outbound "
                            "TCP to this port",
                            peer, seconds_text(budget)));
          }
          break;
        }
        socklen_t length = sizeof error;
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      }
      if (error == 0) return std::make_unique<SocketStream>(fd.release(), peer);
      if (walk && (error == EADDRNOTAVAIL || error == EADDRINUSE)) continue; // next source port
      last_error.emplace(classify_errno(error, k_step, peer));
      break;
    }
    if (deadline.expired()) break;
  }
  throw *last_error;
}

} // namespace offsite::transport
