#include "transport/proxy/mapped_connector.hpp"

#include <utility>

#include <fmt/format.h>

namespace offsite::transport {

namespace {

constexpr const char* k_step = "mapped firewall";

// The map's key for `destination`: as given, or its canonical IP form.
std::optional<std::uint16_t> mapped_port(const std::map<Endpoint, std::uint16_t>& ports,
                                         const Endpoint& destination) {
  if (auto it = ports.find(destination); it != ports.end()) return it->second;
  if (auto ip = IpAddress::parse(destination.host)) {
    for (const auto& [server, port] : ports) {
      auto server_ip = IpAddress::parse(server.host);
      if (server_ip && server_ip->unmapped() == ip->unmapped() && server.port == destination.port)
        return port;
    }
  }
  return std::nullopt;
}

} // namespace

MappedConnector::MappedConnector(std::shared_ptr<Connector> inner, MappedOptions options)
    : ProxyConnector(std::move(inner)), m_options(std::move(options)) {}

Endpoint MappedConnector::first_hop(const Endpoint& destination) const {
  auto port = mapped_port(m_options.ports, destination);
  if (!port) {
    throw TransportError(FailureKind::other, k_step,
                         fmt::format("no firewall port is mapped for {0}: add --map {1}=PORT",
                                     util::printable(destination.to_string(), detail::k_proxy_text),
                                     util::printable(destination.host, detail::k_proxy_text)));
  }
  return Endpoint{m_options.firewall_host, *port};
}

std::unique_ptr<Stream> MappedConnector::handshake(std::unique_ptr<Stream> to_proxy,
                                                   const Endpoint&, Deadline) const {
  return to_proxy;
}

std::string MappedConnector::describe() const {
  const std::size_t count = m_options.ports.size();
  return fmt::format("mapped firewall {} ({} server{} mapped)",
                     util::printable(m_options.firewall_host, detail::k_proxy_text), count,
                     count == 1 ? "" : "s");
}

Failure MappedConnector::first_hop_failure(const Failure& inner,
                                           const Endpoint& destination) const {
  return Failure{
      inner.kind, "mapped firewall connect",
      fmt::format("firewall port {} (standing for the server {}): {}",
                  util::printable(first_hop(destination).to_string(), detail::k_proxy_text),
                  destination.to_string(), inner.detail)};
}

} // namespace offsite::transport
