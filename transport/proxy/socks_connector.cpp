// SOCKS on the wire (all integers big-endian), as this client speaks it:
//
// SOCKS5 (RFC 1928, RFC 1929)
//   us:    05 NMETHODS METHODS...          methods 00 (none), plus 02 (user/pass)
//                                          when we have credentials
//   proxy: 05 METHOD                       FF = none of ours is acceptable
//   us:    01 ULEN USER PLEN PASS          only when the proxy picked 02
//   proxy: 01 STATUS                       00 = accepted
//   us:    05 01 00 ATYP ADDR PORT         CONNECT; ATYP 01 + 4 bytes or 04 + 16
//                                          bytes; never 03 (a name)
//   proxy: 05 REP 00 ATYP ADDR PORT        REP 00 = tunnel open; ATYP 03 has a
//                                          length byte. The whole reply is read,
//                                          so the next byte is the server's.
// SOCKS4 / SOCKS4a
//   us:    04 01 PORT IPv4 USERID 00       SOCKS4a with 0.0.0.1 as the address
//                                          appends HOST 00 (we do so only to
//                                          carry an IPv6 literal)
//   proxy: 00 CD PORT IPv4                 CD 5A = granted (8 bytes in all)
//
// A proxy closes the connection after any refusal, so on a failure we stop
// reading and classify what we have.

#include "transport/proxy/socks_connector.hpp"

#include <openssl/crypto.h>

#include <array>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace offsite::transport {

namespace {

constexpr const char* k_handshake = "socks5 handshake";
constexpr const char* k_auth = "socks5 auth";
constexpr const char* k_connect5 = "socks5 connect";
constexpr const char* k_connect4 = "socks4 connect";
constexpr const char* k_socks_config_step = "socks config";

constexpr std::uint8_t k_method_none = 0x00;
constexpr std::uint8_t k_method_password = 0x02;
constexpr std::uint8_t k_method_refused = 0xff;

std::string_view version_name(SocksVersion version) {
  switch (version) {
  case SocksVersion::v4: return "SOCKS4";
  case SocksVersion::v4a: return "SOCKS4a";
  case SocksVersion::v5: return "SOCKS5";
  }
  return "SOCKS";
}

// The destination as the IP address we send; names are never sent.
IpAddress destination_ip(const Endpoint& destination, const char* step) {
  auto ip = IpAddress::parse(destination.host);
  if (!ip) {
    throw TransportError(FailureKind::other, step,
                         fmt::format("{} is not an IP address; data-centre servers are reached by "
                                     "IP address and never looked up by name",
                                     util::printable(destination.host, detail::k_proxy_text)));
  }
  return ip->unmapped();
}

std::string permit_hint(const Endpoint& destination) {
  return fmt::format("ask its administrator to permit TCP port {} to the data centre's subnets",
                     destination.port);
}

// A first reply byte that is not SOCKS tells what the proxy really is.
[[noreturn]] void wrong_protocol(std::uint8_t first, std::uint8_t expected, const char* step,
                                 const std::string& who) {
  std::string guess;
  if (first == 'H')
    guess = ": it answered in HTTP, so it is an HTTP proxy; use http://HOST:PORT";
  else if (first == 0x05)
    guess = ": it speaks SOCKS5; use socks5://HOST:PORT";
  else if (first == 0x00 || first == 0x04)
    guess = ": it speaks SOCKS4; use socks4a://HOST:PORT";
  throw TransportError(FailureKind::protocol, step,
                       fmt::format("{} answered with version byte 0x{:02x} where SOCKS{} has "
                                   "0x{:02x}{}",
                                   who, first, expected == 0x05 ? "5" : "4", expected, guess));
}

Failure socks5_reply_failure(std::uint8_t code, const Endpoint& destination,
                             const std::string& who) {
  const std::string dest = destination.to_string();
  auto failure = [&](FailureKind kind, std::string sentence) {
    return Failure{kind, k_connect5,
                   fmt::format("{} (SOCKS5 reply 0x{:02x} from {})", sentence, code, who)};
  };
  switch (code) {
  case 0x01:
    return failure(FailureKind::proxy_denied,
                   fmt::format("the proxy reported a general failure for {}: its rules may not "
                               "allow this destination; {}",
                               dest, permit_hint(destination)));
  case 0x02:
    return failure(FailureKind::proxy_denied,
                   fmt::format("the proxy's rules do not allow this destination ({}): {}", dest,
                               permit_hint(destination)));
  case 0x03:
    return failure(FailureKind::unreachable,
                   fmt::format("the proxy has no route to the network of {}", dest));
  case 0x04:
    return failure(FailureKind::unreachable,
                   fmt::format("the proxy cannot reach the host {}", dest));
  case 0x05:
    return failure(FailureKind::refused,
                   fmt::format("{} refused the proxy's connection: the server is down or does "
                               "not listen on port {}",
                               dest, destination.port));
  case 0x06:
    return failure(FailureKind::timeout,
                   fmt::format("the proxy's connection to {} timed out (TTL expired): a packet "
                               "filter beyond the proxy probably drops it",
                               dest));
  case 0x07:
    return failure(FailureKind::proxy_denied,
                   "the proxy does not support the CONNECT command: it cannot open TCP tunnels");
  case 0x08:
    return failure(FailureKind::proxy_denied,
                   fmt::format("the proxy does not support the address type of {} (IPv{} "
                               "addresses)",
                               dest, destination.host.find(':') == std::string::npos ? 4 : 6));
  default:
    return failure(FailureKind::proxy_denied,
                   fmt::format("the proxy refused the connection to {} with an unassigned reply "
                               "code",
                               dest));
  }
}

Failure socks4_reply_failure(std::uint8_t code, const Endpoint& destination,
                             const std::optional<ProxyCredentials>& credentials,
                             const std::string& who) {
  const std::string dest = destination.to_string();
  auto failure = [&](FailureKind kind, std::string sentence) {
    return Failure{kind, k_connect4,
                   fmt::format("{} (SOCKS4 reply 0x{:02X} from {})", sentence, code, who)};
  };
  switch (code) {
  case 0x5b:
    return failure(FailureKind::proxy_denied,
                   fmt::format("the proxy rejected the request for {} or failed to reach it: its "
                               "rules may not allow this destination; {}",
                               dest, permit_hint(destination)));
  case 0x5c:
    return failure(FailureKind::proxy_auth,
                   "the proxy checks user ids with identd on this machine and cannot reach it: "
                   "ask its administrator to accept this client without identd, or use SOCKS5 "
                   "with a username and password");
  case 0x5d:
    return failure(
        FailureKind::proxy_auth,
        fmt::format("this machine's identd does not confirm the user id {}: give the "
                    "user id identd reports (socks4://USER@HOST)",
                    credentials
                        ? "\"" + util::printable(credentials->username, detail::k_proxy_text) + "\""
                        : std::string("(none sent)")));
  default:
    return Failure{
        FailureKind::protocol, k_connect4,
        fmt::format("{} answered with the unknown SOCKS4 reply code 0x{:02X}", who, code)};
  }
}

} // namespace

SocksConnector::SocksConnector(std::shared_ptr<Connector> inner, SocksOptions options)
    : ProxyConnector(std::move(inner)), m_options(std::move(options)) {
  if (!m_options.credentials) return;
  const auto& user = m_options.credentials->username;
  if (m_options.version == SocksVersion::v5) {
    if (user.empty() || user.size() > 255) {
      throw TransportError(FailureKind::other, k_socks_config_step,
                           fmt::format("a SOCKS5 username must have 1 to 255 bytes; this one has "
                                       "{}",
                                       user.size()));
    }
    if (m_options.credentials->password.size() > 255) {
      throw TransportError(FailureKind::other, k_socks_config_step,
                           "a SOCKS5 password can have at most 255 bytes; the one given is longer");
    }
  } else if (user.find('\0') != std::string::npos) {
    throw TransportError(FailureKind::other, k_socks_config_step,
                         "a SOCKS4 user id cannot hold a NUL byte");
  }
}

Endpoint SocksConnector::first_hop(const Endpoint&) const { return m_options.proxy; }

std::string_view SocksConnector::layer() const {
  return m_options.version == SocksVersion::v5 ? "socks5" : "socks4";
}

std::string SocksConnector::who() const {
  return fmt::format("the {} proxy {}", version_name(m_options.version),
                     util::printable(m_options.proxy.to_string(), detail::k_proxy_text));
}

std::string SocksConnector::describe() const {
  std::string text =
      fmt::format("{} proxy {}", version_name(m_options.version),
                  util::printable(m_options.proxy.to_string(), detail::k_proxy_text));
  if (m_options.credentials) {
    text += fmt::format(" ({} {})", m_options.version == SocksVersion::v5 ? "user" : "user id",
                        util::printable(m_options.credentials->username, detail::k_proxy_text));
  }
  return text;
}

std::unique_ptr<Stream> SocksConnector::handshake(std::unique_ptr<Stream> to_proxy,
                                                  const Endpoint& destination,
                                                  Deadline deadline) const {
  if (m_options.version == SocksVersion::v5)
    handshake_v5(*to_proxy, destination, deadline);
  else
    handshake_v4(*to_proxy, destination, deadline);
  return to_proxy;
}

void SocksConnector::handshake_v5(Stream& stream, const Endpoint& destination,
                                  Deadline deadline) const {
  const IpAddress ip = destination_ip(destination, k_connect5);
  const std::string who_text = who();

  // Method negotiation.
  std::vector<std::uint8_t> greeting{0x05, 0x01, k_method_none};
  if (m_options.credentials) greeting = {0x05, 0x02, k_method_none, k_method_password};
  detail::proxy_write(stream, greeting, deadline, k_handshake, who_text);
  std::array<std::uint8_t, 2> choice{};
  try {
    detail::proxy_read_exact(stream, choice, deadline, k_handshake, who_text);
  } catch (const TransportError& e) {
    if (e.kind() != FailureKind::reset) throw;
    throw TransportError(FailureKind::reset, k_handshake,
                         e.failure().detail +
                             "; a SOCKS4-only proxy does this: then use socks4a://HOST:PORT");
  }
  if (choice[0] != 0x05) wrong_protocol(choice[0], 0x05, k_handshake, who_text);
  switch (choice[1]) {
  case k_method_none: break;
  case k_method_password:
    if (!m_options.credentials) {
      throw TransportError(FailureKind::protocol, k_handshake,
                           fmt::format("{} chose username/password authentication, which we did "
                                       "not offer",
                                       who_text));
    }
    authenticate_v5(stream, deadline);
    break;
  case k_method_refused:
    throw TransportError(
        FailureKind::proxy_auth, k_handshake,
        m_options.credentials
            ? fmt::format("{} accepts none of our methods (no authentication, username/password): "
                          "it wants another kind of authentication, which offsite does not "
                          "support",
                          who_text)
            : fmt::format("{} wants a username and password: give them as "
                          "socks5://USER@HOST:PORT, with the password in OFFSITE_PROXY_PASSWORD",
                          who_text));
  default:
    throw TransportError(FailureKind::protocol, k_handshake,
                         fmt::format("{} chose authentication method 0x{:02x}, which we did not "
                                     "offer",
                                     who_text, choice[1]));
  }

  // CONNECT.
  std::vector<std::uint8_t> request{0x05, 0x01, 0x00,
                                    ip.family == IpAddress::Family::v4 ? std::uint8_t{0x01}
                                                                       : std::uint8_t{0x04}};
  request.insert(request.end(), ip.bytes.begin(),
                 ip.bytes.begin() + static_cast<std::ptrdiff_t>(ip.size()));
  request.push_back(static_cast<std::uint8_t>(destination.port >> 8));
  request.push_back(static_cast<std::uint8_t>(destination.port & 0xff));
  detail::proxy_write(stream, request, deadline, k_connect5, who_text);

  std::array<std::uint8_t, 4> head{};
  detail::proxy_read_exact(stream, head, deadline, k_connect5, who_text);
  if (head[0] != 0x05) wrong_protocol(head[0], 0x05, k_connect5, who_text);
  if (head[1] != 0x00) throw TransportError(socks5_reply_failure(head[1], destination, who_text));
  std::size_t address_length = 0;
  switch (head[3]) {
  case 0x01: address_length = 4; break;
  case 0x04: address_length = 16; break;
  case 0x03: {
    std::array<std::uint8_t, 1> length{};
    detail::proxy_read_exact(stream, length, deadline, k_connect5, who_text);
    address_length = length[0];
    break;
  }
  default:
    throw TransportError(
        FailureKind::protocol, k_connect5,
        fmt::format("{} sent a reply with the unknown address type 0x{:02x}", who_text, head[3]));
  }
  // The bound address and port: read so that the tunnel starts clean.
  std::vector<std::uint8_t> bound(address_length + 2);
  detail::proxy_read_exact(stream, bound, deadline, k_connect5, who_text);
}

void SocksConnector::authenticate_v5(Stream& stream, Deadline deadline) const {
  const std::string who_text = who();
  const auto& credentials = *m_options.credentials;
  std::vector<std::uint8_t> request;
  request.reserve(3 + credentials.username.size() + credentials.password.size());
  request.push_back(0x01);
  request.push_back(static_cast<std::uint8_t>(credentials.username.size()));
  request.insert(request.end(), credentials.username.begin(), credentials.username.end());
  request.push_back(static_cast<std::uint8_t>(credentials.password.size()));
  request.insert(request.end(), credentials.password.begin(), credentials.password.end());
  try {
    detail::proxy_write(stream, request, deadline, k_auth, who_text);
  } catch (...) {
    OPENSSL_cleanse(request.data(), request.size());
    throw;
  }
  OPENSSL_cleanse(request.data(), request.size());

  const std::string user = util::printable(credentials.username, detail::k_proxy_text);
  std::array<std::uint8_t, 2> reply{};
  try {
    detail::proxy_read_exact(stream, reply, deadline, k_auth, who_text);
  } catch (const TransportError& e) {
    if (e.kind() != FailureKind::reset) throw;
    // RFC 1929 lets a proxy close instead of answering a failure; some do.
    throw TransportError(FailureKind::proxy_auth, k_auth,
                         fmt::format("{} closed the connection after receiving the username and "
                                     "password for user {}: it probably rejected them",
                                     who_text, user));
  }
  // Version 01 per RFC 1929; a few proxies echo 05, which is harmless.
  if (reply[0] != 0x01 && reply[0] != 0x05) {
    throw TransportError(FailureKind::protocol, k_auth,
                         fmt::format("{} answered the username/password with version byte "
                                     "0x{:02x} where RFC 1929 has 0x01",
                                     who_text, reply[0]));
  }
  if (reply[1] != 0x00) {
    throw TransportError(FailureKind::proxy_auth, k_auth,
                         fmt::format("{} rejected the username or password for user {}: check "
                                     "both (the password comes from OFFSITE_PROXY_PASSWORD, a "
                                     "file or the prompt)",
                                     who_text, user));
  }
}

void SocksConnector::handshake_v4(Stream& stream, const Endpoint& destination,
                                  Deadline deadline) const {
  const IpAddress ip = destination_ip(destination, k_connect4);
  const std::string who_text = who();
  const bool v6 = ip.family == IpAddress::Family::v6;
  if (v6 && m_options.version == SocksVersion::v4) {
    throw TransportError(FailureKind::other, k_connect4,
                         fmt::format("SOCKS4 cannot carry the IPv6 address {}: use a SOCKS4a or "
                                     "SOCKS5 proxy (socks4a:// or socks5://)",
                                     destination.to_string()));
  }
  std::vector<std::uint8_t> request{0x04, 0x01, static_cast<std::uint8_t>(destination.port >> 8),
                                    static_cast<std::uint8_t>(destination.port & 0xff)};
  if (v6)
    request.insert(request.end(), {0, 0, 0, 1}); // SOCKS4a: "the host text follows"
  else
    request.insert(request.end(), ip.bytes.begin(), ip.bytes.begin() + 4);
  if (m_options.credentials) {
    const auto& user = m_options.credentials->username;
    request.insert(request.end(), user.begin(), user.end());
  }
  request.push_back(0x00);
  if (v6) {
    const std::string text = ip.to_string();
    request.insert(request.end(), text.begin(), text.end());
    request.push_back(0x00);
  }
  detail::proxy_write(stream, request, deadline, k_connect4, who_text);

  // VN and CD first: a SOCKS5 proxy answers 2 bytes and closes, and its
  // version byte says more than "closed after 2 of 8 bytes".
  std::array<std::uint8_t, 8> reply{};
  try {
    detail::proxy_read_exact(stream, MutableSpan(reply).first(2), deadline, k_connect4, who_text);
  } catch (const TransportError& e) {
    if (e.kind() != FailureKind::reset) throw;
    throw TransportError(FailureKind::reset, k_connect4,
                         e.failure().detail +
                             "; a SOCKS5-only proxy does this: then use socks5://HOST:PORT");
  }
  // VN is 0 per the SOCKS4 spec; some proxies send 4, which is harmless.
  if (reply[0] != 0x00 && reply[0] != 0x04) wrong_protocol(reply[0], 0x00, k_connect4, who_text);
  if (reply[1] == 0x5a)
    detail::proxy_read_exact(stream, MutableSpan(reply).subspan(2), deadline, k_connect4, who_text);
  if (reply[1] != 0x5a) {
    throw TransportError(
        socks4_reply_failure(reply[1], destination, m_options.credentials, who_text));
  }
}

} // namespace offsite::transport
