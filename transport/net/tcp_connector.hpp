#pragma once
// Direct TCP: the bottom of every connector stack.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "transport/net/connector.hpp"
#include "transport/net/socket_stream.hpp"

namespace offsite::transport {

// Local ports to bind before connecting, for packet filters that only pass
// return traffic to a fixed range (Backup Direct documented 1024-5000).
struct SourcePortRange {
  std::uint16_t low = 0;
  std::uint16_t high = 0;

  // "1024-5000" (inclusive, low <= high, 1..65535); nullopt + sentence on error.
  static std::optional<SourcePortRange> parse(std::string_view text, std::string* error = nullptr);
  std::string to_string() const;
  bool contains(std::uint16_t port) const { return port >= low && port <= high; }
  bool operator==(const SourcePortRange&) const = default;
};

struct TcpOptions {
  // Resolve host names with getaddrinfo (bounded by the deadline). Only for
  // proxies: data-centre servers are reached by IP address and a name given
  // for one is refused without any DNS query.
  bool allow_names = false;
  // Bind the local end into this range first: a random start, then walking
  // past ports in use.
  std::optional<SourcePortRange> source_ports;
};

class TcpConnector final : public Connector {
public:
  explicit TcpConnector(TcpOptions options = {});

  // Non-blocking connect bounded by the deadline, TCP_NODELAY, SO_KEEPALIVE.
  // Failures: timeout ("no answer within N s: a packet filter probably drops
  // outbound TCP to this port"), refused, unreachable, reset,
  // name_resolution, other (e.g. no free source port).
  std::unique_ptr<Stream> connect(const Endpoint& destination, Deadline deadline) override;
  std::unique_ptr<SocketStream> connect_socket(const Endpoint& destination, Deadline deadline);

  const TcpOptions& options() const { return m_options; }

private:
  TcpOptions m_options;
};

} // namespace offsite::transport
