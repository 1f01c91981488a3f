#pragma once
// Chooses per destination between a direct connector and a proxied one,
// honouring NO_PROXY as curl does: "*" alone bypasses the proxy for all;
// otherwise entries separated by commas or blanks, each an IP literal, a CIDR
// ("193.239.112.0/24", "2001:db8::/32"; host bits are ignored, as in curl),
// or a host/domain suffix ("example.com" and ".example.com" match
// example.com and its subdomains). Our destinations are IP literals, so IPs
// and CIDRs are what matter; an IP is never matched by a name entry.

#include <memory>
#include <string>
#include <vector>

#include "transport/net/connector.hpp"

namespace offsite::transport {

class RoutingConnector final : public Connector {
public:
  // `no_proxy` holds NO_PROXY entries; each string may itself be a whole
  // comma/blank separated list. Unparsable entries are ignored (as curl does).
  RoutingConnector(std::shared_ptr<Connector> direct, std::shared_ptr<Connector> proxied,
                   std::vector<std::string> no_proxy);

  // True when `destination` matches NO_PROXY (then connect() goes direct).
  bool bypasses(const Endpoint& destination) const;

  // direct->connect or proxied->connect; failures pass unchanged.
  std::unique_ptr<Stream> connect(const Endpoint& destination, Deadline deadline) override;

  const std::vector<std::string>& no_proxy() const { return m_entries; }

private:
  std::shared_ptr<Connector> m_direct;
  std::shared_ptr<Connector> m_proxied;
  std::vector<std::string> m_given;   // as configured
  std::vector<std::string> m_entries; // split, trimmed
  bool m_everything = false;
};

} // namespace offsite::transport
