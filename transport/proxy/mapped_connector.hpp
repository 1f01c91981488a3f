#pragma once
// A "mapped" proxy firewall: the firewall exposes one port per data-centre
// server and forwards it there (a port forward, no proxy protocol). The
// client dials firewall_host:ports[server] and speaks to the server at once.

#include <cstdint>
#include <map>
#include <string>

#include "transport/proxy/proxy_connector.hpp"

namespace offsite::transport {

struct MappedOptions {
  std::string firewall_host;               // name or IP literal
  std::map<Endpoint, std::uint16_t> ports; // data-centre server -> firewall port
};

class MappedConnector final : public ProxyConnector {
public:
  MappedConnector(std::shared_ptr<Connector> inner, MappedOptions options);

  // {firewall_host, ports[destination]}. A server without a port throws
  // TransportError (kind other, step "mapped firewall") asking for
  // "--map SERVER=PORT".
  Endpoint first_hop(const Endpoint& destination) const override;

  // No bytes: the firewall forwards the connection as it is.
  std::unique_ptr<Stream> handshake(std::unique_ptr<Stream> to_proxy, const Endpoint& destination,
                                    Deadline deadline) const override;

  // "mapped firewall fw.corp (2 servers mapped)".
  std::string describe() const override;

  // Failures of the firewall connection keep their kind (timeout, refused:
  // the forward behaves as the server would), under step "mapped firewall
  // connect", naming the firewall port and the server it stands for.
  Failure first_hop_failure(const Failure& inner, const Endpoint& destination) const override;

  const MappedOptions& options() const { return m_options; }

private:
  std::string_view layer() const override { return "mapped firewall"; }

  MappedOptions m_options;
};

} // namespace offsite::transport
