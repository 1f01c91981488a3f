#pragma once
// SOCKS5 (RFC 1928, with RFC 1929 username/password), SOCKS4 and SOCKS4a.
// The data-centre address always goes to the proxy as an IP literal (SOCKS5
// address type 1 or 4, SOCKS4 DSTIP): the client never sends or resolves a
// data-centre name.

#include <cstdint>
#include <optional>

#include "transport/proxy/proxy_connector.hpp"

namespace offsite::transport {

enum class SocksVersion { v4, v4a, v5 };

struct SocksOptions {
  SocksVersion version = SocksVersion::v5;
  Endpoint proxy; // IP literal or host name (the inner TcpConnector resolves it)
  // SOCKS5: offered as RFC 1929 username/password beside "no authentication".
  // SOCKS4/4a: the username is sent as the user id; the password is unused.
  std::optional<ProxyCredentials> credentials;
};

class SocksConnector final : public ProxyConnector {
public:
  // Throws TransportError (kind other, step "socks config") for credentials
  // the protocol cannot carry: a SOCKS5 username of 0 or more than 255
  // bytes, a password over 255 bytes, a SOCKS4 user id holding a NUL byte.
  SocksConnector(std::shared_ptr<Connector> inner, SocksOptions options);

  // Always the proxy.
  Endpoint first_hop(const Endpoint& destination) const override;

  // SOCKS5: method negotiation (step "socks5 handshake"), then RFC 1929
  // authentication if the proxy picks it ("socks5 auth"), then CONNECT
  // ("socks5 connect"). SOCKS4/4a: one CONNECT ("socks4 connect"). SOCKS4
  // cannot carry an IPv6 address (kind other); SOCKS4a sends it as the
  // "host name" text, which proxies resolve as the literal it is. For IPv4
  // destinations SOCKS4a sends exactly what SOCKS4 does: it differs from
  // SOCKS4 only for names, and we never send names.
  std::unique_ptr<Stream> handshake(std::unique_ptr<Stream> to_proxy, const Endpoint& destination,
                                    Deadline deadline) const override;

  // "SOCKS5 proxy 10.0.0.1:1080 (user alice)"; never the password.
  std::string describe() const override;

  const SocksOptions& options() const { return m_options; }

private:
  std::string_view layer() const override;
  std::string who() const;
  void handshake_v5(Stream& stream, const Endpoint& destination, Deadline deadline) const;
  void authenticate_v5(Stream& stream, Deadline deadline) const;
  void handshake_v4(Stream& stream, const Endpoint& destination, Deadline deadline) const;

  SocksOptions m_options;
};

} // namespace offsite::transport
