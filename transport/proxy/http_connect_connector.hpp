#pragma once
// HTTP CONNECT tunnels (RFC 9110 §9.3.6) with optional Basic proxy
// authentication (RFC 7617). The request names the data-centre server by
// IP literal, and the proxy's answer is read byte by byte up to its blank
// line, so the first tunnel byte (the server's TLS) stays unread.

#include <optional>

#include "transport/proxy/proxy_connector.hpp"

namespace offsite::transport {

struct HttpConnectOptions {
  Endpoint proxy; // IP literal or host name (the inner TcpConnector resolves it)
  std::optional<ProxyCredentials> credentials; // sent as Basic, in the first request
};

class HttpConnectConnector final : public ProxyConnector {
public:
  // Throws TransportError (kind other, step "http proxy config") for a
  // username holding ':' or a control character, which Basic cannot carry.
  HttpConnectConnector(std::shared_ptr<Connector> inner, HttpConnectOptions options);

  // Always the proxy.
  Endpoint first_hop(const Endpoint& destination) const override;

  // Sends "CONNECT ip:port HTTP/1.1" (IPv6 in brackets) with Host and, when
  // configured, Proxy-Authorization; any 2xx opens the tunnel. Failures
  // (step "http connect"): 407 (and 401 after sending credentials) proxy_auth, 403 proxy_denied,
  // 502 (and tinyproxy's 500 "Unable to connect") refused or unreachable, 503 unreachable, 504
  // timeout, other statuses proxy_denied quoting the status line; an answer that is not HTTP, or
  // headers over 16 KiB, protocol; a proxy closing without an answer, reset.
  std::unique_ptr<Stream> handshake(std::unique_ptr<Stream> to_proxy, const Endpoint& destination,
                                    Deadline deadline) const override;

  // "HTTP proxy 10.0.0.1:3128 (user alice)"; never the password.
  std::string describe() const override;

  const HttpConnectOptions& options() const { return m_options; }

private:
  std::string_view layer() const override { return "http"; }
  std::string who() const;

  HttpConnectOptions m_options;
};

} // namespace offsite::transport
