// The one place where the connector stack is built from TransportSettings
// (CONVENTIONS.md, "Transport as composition"):
//
//   Tls( Tcp(IP only) )                                        direct
//   Tls( Routing( Tcp(IP only), Proxy( Tcp(names allowed) ), no_proxy ) )
//
// Both TCP connectors bind into the source-port range: a packet filter
// between us and the proxy needs it as much as one in front of the data
// centre. The direct one refuses names, so a data-centre server is never
// looked up in DNS; only the proxy's own host may be a name.
#include <fmt/format.h>

#include "cli/network/transport_settings.hpp"
#include "core/common/error.hpp"
#include "transport/net/rate_limit.hpp"
#include "transport/proxy/proxy_schemes.hpp"
#include "transport/proxy/routing_connector.hpp"
#include "transport/tls/tls.hpp"

namespace offsite::cli {

namespace {

std::shared_ptr<transport::ProxyConnector> proxy_layer(const TransportSettings& settings,
                                                       std::shared_ptr<transport::Connector> inner,
                                                       std::string& layers) {
  const ProxyUrl& url = *settings.proxy;
  layers += url.scheme->name;
  return url.scheme->make(std::move(inner), url.target(settings.map));
}

} // namespace

std::shared_ptr<transport::ProxyConnector> make_proxy_layer(const TransportSettings& settings) {
  if (!settings.proxy) return nullptr;
  std::string layers;
  return proxy_layer(
      settings,
      std::make_shared<transport::TcpConnector>(transport::TcpOptions{true, settings.source_ports}),
      layers);
}

bool bypasses_proxy(const TransportSettings& settings, const transport::Endpoint& server) {
  if (!settings.proxy) return true;
  return transport::RoutingConnector(nullptr, nullptr, settings.no_proxy).bypasses(server);
}

ConnectorStack build_connector_stack(const std::string& fingerprint,
                                     const TransportSettings& settings) {
  if (fingerprint.empty())
    throw Error(Code::config, "the data centre's fingerprint is not known",
                "pass --fingerprint sha256:<hex> (the operator prints it with \"offsited "
                "fingerprint\")");
  if (settings.proxy && settings.proxy->wants_password() && !settings.proxy->password &&
      std::find(settings.no_proxy.begin(), settings.no_proxy.end(), "*") == settings.no_proxy.end())
    throw Error(Code::generic, "the proxy password was not looked up before connecting",
                "please report this as a bug");

  const std::string ports =
      settings.source_ports ? "+ports " + settings.source_ports->to_string() : "";
  auto direct = std::make_shared<transport::TcpConnector>(
      transport::TcpOptions{false, settings.source_ports});
  std::shared_ptr<transport::Connector> below_tls = direct;
  std::string layers = "tcp" + ports;
  try {
    if (settings.proxy) {
      auto to_proxy = std::make_shared<transport::TcpConnector>(
          transport::TcpOptions{true, settings.source_ports});
      std::string proxy_layers;
      auto proxied = proxy_layer(settings, to_proxy, proxy_layers);
      below_tls = std::make_shared<transport::RoutingConnector>(direct, std::move(proxied),
                                                                settings.no_proxy);
      layers = fmt::format("routing({},{}(tcp+names{}))", layers, proxy_layers, ports);
    }
  } catch (const transport::TransportError& e) {
    // The protocol cannot carry these credentials (a SOCKS5 name over 255
    // bytes, ...). The detail never holds the password.
    throw Error(Code::config,
                fmt::format("the {} (from {}): {}", settings.proxy->describe(),
                            settings.proxy_origin, e.failure().detail),
                "check the proxy's user name and password");
  }
  if (settings.limit_upload_kib || settings.limit_download_kib) {
    const auto limiter = [](std::uint64_t kib) {
      return kib ? std::make_shared<transport::RateLimiter>(kib * 1024) : nullptr;
    };
    below_tls = std::make_shared<transport::RateLimitedConnector>(
        std::move(below_tls), limiter(settings.limit_upload_kib),
        limiter(settings.limit_download_kib));
    layers = fmt::format("limit({})", layers);
  }
  try {
    auto tls = std::make_shared<transport::TlsConnector>(
        std::move(below_tls), transport::TlsClientConfig{fingerprint, {}});
    return {std::move(tls), fmt::format("tls({})", layers), settings.describe()};
  } catch (const transport::TransportError& e) {
    throw Error(Code::config, fmt::format("the data centre's fingerprint: {}", e.failure().detail),
                "a fingerprint looks like sha256: followed by 64 hex digits");
  }
}

std::shared_ptr<transport::Connector> make_connector(const std::string& fingerprint,
                                                     const TransportSettings& settings) {
  return build_connector_stack(fingerprint, settings).connector;
}

std::shared_ptr<transport::Connector> make_connector(const std::string& fingerprint,
                                                     const nlohmann::json& config_transport) {
  // config.json's object is the whole truth here: no flags, and the proxy
  // variables of the environment are ignored as with --no-proxy.
  TransportFlags flags;
  flags.no_proxy = true;
  const auto env = process_environment();
  auto settings = resolve_transport(flags, config_transport, env);
  resolve_proxy_password(settings, env, terminal_prompt());
  return make_connector(fingerprint, settings);
}

} // namespace offsite::cli
