#pragma once
// The common shape of every proxy layer (SOCKS4/4a/5, HTTP CONNECT, mapped
// proxy firewalls), so that `offsite test-connection` can time each step:
//
//   connect(dest, deadline)
//     == handshake(inner->connect(first_hop(dest), deadline), dest, deadline)
//
// first_hop() is what the inner connector dials (the proxy or firewall; it
// may be a host name, so the inner TcpConnector must allow names), and
// handshake() speaks the proxy protocol on that connected stream. A failure
// to reach the proxy itself is reported through first_hop_failure().

#include <memory>
#include <string>
#include <string_view>

#include "transport/net/connector.hpp"
#include "transport/net/failure.hpp"
#include "util/printable.hpp"

namespace offsite::transport {

struct ProxyCredentials {
  std::string username;
  std::string password; // never in any message, log or describe()
};

class ProxyConnector : public Connector {
public:
  // Where the inner connector dials for `destination` (the data-centre
  // server). Throws TransportError when the layer has no route for it (a
  // mapped firewall without a port for that server).
  virtual Endpoint first_hop(const Endpoint& destination) const = 0;

  // Runs the proxy protocol on `to_proxy` (connected to first_hop()) and
  // returns the stream (the same one or a wrapper) now tunnelled to
  // `destination`, with not one tunnel byte consumed: TLS can follow at once.
  // Every read and write is bounded by `deadline`. Throws TransportError
  // classified by what the proxy answered (proxy_denied, proxy_auth,
  // refused, unreachable, timeout, protocol, reset). Thread-safe (const).
  virtual std::unique_ptr<Stream> handshake(std::unique_ptr<Stream> to_proxy,
                                            const Endpoint& destination,
                                            Deadline deadline) const = 0;

  // For people: "SOCKS5 proxy 10.0.0.1:1080 (user alice)". Never a password.
  virtual std::string describe() const = 0;

  // How a failure of inner->connect(first_hop(destination)) reads at this
  // layer. Default: timeout, refused, unreachable and reset become
  // proxy_unreachable (step "<layer> proxy connect", detail "proxy HOST:PORT:
  // connection refused; ..."); name_resolution keeps its kind under the same
  // step; anything else (a bad source-port range) passes unchanged.
  // test-connection calls this too when it runs the steps one by one.
  virtual Failure first_hop_failure(const Failure& inner, const Endpoint& destination) const;

  // The composition above; failures of the first hop go through
  // first_hop_failure(), the handshake's pass unchanged.
  std::unique_ptr<Stream> connect(const Endpoint& destination, Deadline deadline) final;

  // The connector that dials first_hop() (for test-connection's steps).
  const std::shared_ptr<Connector>& inner() const { return m_inner; }

protected:
  explicit ProxyConnector(std::shared_ptr<Connector> inner);

  // "socks5", "socks4", "http", "mapped firewall": the prefix of step names.
  virtual std::string_view layer() const = 0;

  std::shared_ptr<Connector> m_inner;
};

namespace detail {

// How text a proxy sent or a user typed is echoed, util::printable(text,
// k_proxy_text): without terminal escapes, and clipped so that one hostile
// answer cannot flood a message. A proxy's answer quoted in a message is
// shortened further (k_proxy_answer).
inline constexpr util::PrintOptions k_proxy_text{.max_chars = 120};
inline constexpr util::PrintOptions k_proxy_answer{.max_chars = 80, .quoted = true};

// Stream I/O during a handshake. A TransportError from below is rethrown
// under `step` with its kind kept, and `who` ("the SOCKS5 proxy
// 10.0.0.1:1080") leading the detail; end of stream before `buffer` is full
// is a reset ("... closed the connection without answering").
void proxy_write(Stream& stream, ByteSpan data, Deadline deadline, const char* step,
                 const std::string& who);
void proxy_read_exact(Stream& stream, MutableSpan buffer, Deadline deadline, const char* step,
                      const std::string& who);
// Like Stream::read_some: 0 at end of stream; errors mapped as above.
std::size_t proxy_read_some(Stream& stream, MutableSpan buffer, Deadline deadline, const char* step,
                            const std::string& who);

} // namespace detail

} // namespace offsite::transport
