#pragma once
// THE seam of the transport: something that turns an endpoint into a
// connected byte stream. Direct TCP, SOCKS4/5, HTTP CONNECT, mapped proxy
// firewalls and TLS are each one Connector, and all but TCP wrap an inner
// Connector (composition, like restic's backend decorators): the stack is
// built in one place from configuration, e.g. Tls(HttpConnect(Tcp)).

#include <memory>

#include "transport/net/deadline.hpp"
#include "transport/net/endpoint.hpp"
#include "transport/net/stream.hpp"

namespace offsite::transport {

class Connector {
public:
  Connector() = default;
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;
  virtual ~Connector();

  // Opens a stream to `destination` (the data-centre server as the user sees
  // it; a proxy layer decides where it actually dials) or throws
  // TransportError with a Failure classified by the layer that failed.
  // Blocks no longer than `deadline`. The caller owns the returned stream.
  // Thread-safe: one Connector may serve concurrent connects.
  virtual std::unique_ptr<Stream> connect(const Endpoint& destination, Deadline deadline) = 0;
};

} // namespace offsite::transport
