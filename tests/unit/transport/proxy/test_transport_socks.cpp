#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/unit/test_transport_proxy_helpers.hpp"
#include "transport/proxy/socks_connector.hpp"
#include "transport/tls/identity.hpp"
#include "transport/tls/tls.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;
using namespace std::chrono_literals;

namespace {

const std::string k_password = "s3cret-Pa55word";

// What a fake SOCKS proxy saw from the client.
struct Seen {
  Bytes methods;
  std::string username;
  std::string password;
  std::uint8_t atyp = 0;
  Bytes address;
  std::uint16_t port = 0;
  Bytes socks4_request; // everything a SOCKS4 client sent
};

struct Socks5Behaviour {
  std::optional<std::string> required_user; // demand RFC 1929 with this user + k_password
  std::uint8_t reply = 0x00;
  std::uint8_t bound_atyp = 0x01;
  std::string first_tunnel_bytes; // sent in the same write as the reply
  bool relay_to_destination = true;
};

std::uint16_t port_of(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

// A SOCKS5 proxy (RFC 1928/1929) for one connection.
FakeProxy::Script socks5_script(Socks5Behaviour behaviour, Seen& seen) {
  return [behaviour, &seen](Stream& client) {
    Bytes head = read_n(client, 2);
    REQUIRE(head[0] == 0x05);
    seen.methods = read_n(client, head[1]);
    bool offered_password =
        std::find(seen.methods.begin(), seen.methods.end(), 0x02) != seen.methods.end();
    if (behaviour.required_user) {
      if (!offered_password) {
        send(client, {0x05, 0xff});
        return;
      }
      send(client, {0x05, 0x02});
      Bytes version_and_length = read_n(client, 2);
      REQUIRE(version_and_length[0] == 0x01);
      seen.username = text_of(read_n(client, version_and_length[1]));
      Bytes password_length = read_n(client, 1);
      seen.password = text_of(read_n(client, password_length[0]));
      bool ok = seen.username == *behaviour.required_user && seen.password == k_password;
      send(client, {0x01, static_cast<std::uint8_t>(ok ? 0x00 : 0x01)});
      if (!ok) return;
    } else {
      send(client, {0x05, 0x00});
    }
    Bytes request = read_n(client, 4);
    REQUIRE(request[0] == 0x05);
    REQUIRE(request[1] == 0x01);
    seen.atyp = request[3];
    REQUIRE((seen.atyp == 0x01 || seen.atyp == 0x04)); // never a domain name
    seen.address = read_n(client, seen.atyp == 0x01 ? 4 : 16);
    seen.port = port_of(read_n(client, 2), 0);
    if (behaviour.reply != 0x00) {
      send(client, {0x05, behaviour.reply, 0x00, 0x01, 0, 0, 0, 0, 0, 0});
      return;
    }
    std::unique_ptr<Stream> server;
    if (behaviour.relay_to_destination) {
      IpAddress ip;
      ip.family = seen.atyp == 0x01 ? IpAddress::Family::v4 : IpAddress::Family::v6;
      std::copy(seen.address.begin(), seen.address.end(), ip.bytes.begin());
      server = TcpConnector().connect(Endpoint{ip.to_string(), seen.port}, soon());
    }
    Bytes reply{0x05, 0x00, 0x00, behaviour.bound_atyp};
    if (behaviour.bound_atyp == 0x01)
      reply.insert(reply.end(), {127, 0, 0, 1});
    else if (behaviour.bound_atyp == 0x04)
      reply.insert(reply.end(), 16, 0);
    else {
      std::string name = "proxy.example";
      reply.push_back(static_cast<std::uint8_t>(name.size()));
      reply.insert(reply.end(), name.begin(), name.end());
    }
    reply.insert(reply.end(), {0x04, 0x38});
    reply.insert(reply.end(), behaviour.first_tunnel_bytes.begin(),
                 behaviour.first_tunnel_bytes.end());
    send(client, reply);
    if (server)
      relay(client, *server, soon());
    else
      wait_for_close(client);
  };
}

SocksOptions socks5_via(const FakeProxy& proxy, std::optional<ProxyCredentials> credentials = {}) {
  return SocksOptions{SocksVersion::v5, proxy.endpoint(), std::move(credentials)};
}

ProxyCredentials alice(std::string password = k_password) { return {"alice", password}; }

// Every failure any test sees must keep the proxy password to itself.
void check_no_secret(const Failure& failure) {
  CHECK_FALSE(contains(failure.detail, k_password));
  CHECK_FALSE(contains(failure.step, k_password));
  CHECK_FALSE(contains(TransportError(failure).what(), k_password));
}

Failure socks_failure(SocksOptions options, const Endpoint& destination,
                      Deadline deadline = soon()) {
  SocksConnector socks(tcp_for_proxies(), std::move(options));
  Failure failure = connect_failure(socks, destination, deadline);
  check_no_secret(failure);
  return failure;
}

const Endpoint k_server{"127.239.112.10", 16384};

} // namespace

TEST_SUITE_BEGIN("transport::Socks");

TEST_CASE("given a SOCKS5 proxy without authentication when connecting then bytes reach the "
          "server through it, addressed by IPv4 literal") {
  EchoServer server;
  Seen seen;
  FakeProxy proxy(socks5_script({}, seen));
  SocksConnector socks(tcp_for_proxies(), socks5_via(proxy));
  {
    auto stream = socks.connect(server.endpoint(), soon());
    CHECK(echo_round_trip(*stream, "hello through socks") == "hello through socks");
  }
  proxy.join();
  CHECK(proxy.error.empty());
  CHECK(seen.methods == Bytes{0x00});
  CHECK(seen.atyp == 0x01);
  CHECK(seen.address == Bytes{127, 0, 0, 1});
  CHECK(seen.port == server.endpoint().port);
}

TEST_CASE("given a SOCKS5 proxy demanding a password when credentials are configured then both "
          "methods are offered and the tunnel works") {
  EchoServer server;
  Seen seen;
  Socks5Behaviour behaviour;
  behaviour.required_user = "alice";
  behaviour.bound_atyp = 0x03; // a bound address given as a name must be skipped whole
  FakeProxy proxy(socks5_script(behaviour, seen));
  SocksConnector socks(tcp_for_proxies(), socks5_via(proxy, alice()));
  {
    auto stream = socks.connect(server.endpoint(), soon());
    CHECK(echo_round_trip(*stream, "authenticated") == "authenticated");
  }
  proxy.join();
  CHECK(proxy.error.empty());
  CHECK(seen.methods == Bytes{0x00, 0x02});
  CHECK(seen.username == "alice");
  CHECK(seen.password == k_password);
}

TEST_CASE("given a SOCKS5 proxy that sends tunnel bytes right behind its reply when connecting "
          "then not one of them is swallowed by the handshake") {
  Seen seen;
  Socks5Behaviour behaviour;
  behaviour.bound_atyp = 0x04;
  behaviour.first_tunnel_bytes = "\x16\x03 server speaks first";
  behaviour.relay_to_destination = false;
  FakeProxy proxy(socks5_script(behaviour, seen));
  SocksConnector socks(tcp_for_proxies(), socks5_via(proxy));
  {
    auto stream = socks.connect(k_server, soon());
    Bytes first(behaviour.first_tunnel_bytes.size());
    stream->read_exact(first, soon());
    CHECK(text_of(first) == behaviour.first_tunnel_bytes);
  }
  proxy.join();
  CHECK(proxy.error.empty());
}

TEST_CASE("given each SOCKS5 reply code when the proxy refuses then kind and sentence say why") {
  struct Expected {
    std::uint8_t code;
    FailureKind kind;
    std::string words;
  };
  const std::vector<Expected> table = {
      {0x01, FailureKind::proxy_denied, "general failure"},
      {0x02, FailureKind::proxy_denied,
       "the proxy's rules do not allow this destination (127.239.112.10:16384): ask its "
       "administrator to permit TCP port 16384 to the data centre's subnets"},
      {0x03, FailureKind::unreachable, "no route to the network"},
      {0x04, FailureKind::unreachable, "cannot reach the host"},
      {0x05, FailureKind::refused, "refused the proxy's connection"},
      {0x06, FailureKind::timeout, "TTL expired"},
      {0x07, FailureKind::proxy_denied, "does not support the CONNECT command"},
      {0x08, FailureKind::proxy_denied, "does not support the address type"},
      {0x09, FailureKind::proxy_denied, "unassigned reply code"},
  };
  for (const auto& expected : table) {
    CAPTURE(static_cast<int>(expected.code));
    Seen seen;
    Socks5Behaviour behaviour;
    behaviour.reply = expected.code;
    FakeProxy proxy(socks5_script(behaviour, seen));
    Failure failure = socks_failure(socks5_via(proxy, alice()), k_server);
    proxy.join();
    CHECK(failure.kind == expected.kind);
    CHECK(failure.step == "socks5 connect");
    CHECK(contains(failure.detail, expected.words));
    CHECK(contains(failure.detail, proxy.endpoint().to_string()));
  }
}

TEST_CASE("given a SOCKS5 proxy and a wrong password when connecting then the failure is "
          "proxy_auth and names the user but never the password") {
  Seen seen;
  Socks5Behaviour behaviour;
  behaviour.required_user = "alice";
  FakeProxy proxy(socks5_script(behaviour, seen));
  Failure failure = socks_failure(socks5_via(proxy, alice("wrong-" + k_password)), k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::proxy_auth);
  CHECK(failure.step == "socks5 auth");
  CHECK(contains(failure.detail, "rejected the username or password for user alice"));
  CHECK_FALSE(contains(failure.detail, "wrong-"));
}

TEST_CASE("given a SOCKS5 proxy that closes instead of answering the password when connecting "
          "then the failure is still proxy_auth") {
  FakeProxy proxy([](Stream& client) {
    Bytes head = read_n(client, 2);
    read_n(client, head[1]);
    send(client, {0x05, 0x02});
    Bytes version_and_length = read_n(client, 2);
    read_n(client, version_and_length[1]);
    read_n(client, read_n(client, 1)[0]);
  });
  Failure failure = socks_failure(socks5_via(proxy, alice()), k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::proxy_auth);
  CHECK(contains(failure.detail, "probably rejected them"));
}

TEST_CASE("given a SOCKS5 proxy demanding a password when none is configured then the failure "
          "says the proxy wants a username and password") {
  Seen seen;
  Socks5Behaviour behaviour;
  behaviour.required_user = "alice";
  FakeProxy proxy(socks5_script(behaviour, seen));
  Failure failure = socks_failure(socks5_via(proxy), k_server);
  proxy.join();
  CHECK(seen.methods == Bytes{0x00});
  CHECK(failure.kind == FailureKind::proxy_auth);
  CHECK(failure.step == "socks5 handshake");
  CHECK(contains(failure.detail, "wants a username and password"));
}

TEST_CASE("given a SOCKS5 proxy accepting none of our methods when credentials are offered then "
          "the failure says so") {
  FakeProxy proxy([](Stream& client) {
    Bytes head = read_n(client, 2);
    read_n(client, head[1]);
    send(client, {0x05, 0xff});
  });
  Failure failure = socks_failure(socks5_via(proxy, alice()), k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::proxy_auth);
  CHECK(contains(failure.detail, "accepts none of our methods"));
}

TEST_CASE("given a proxy that accepts and closes at once when connecting then the failure is a "
          "reset in the SOCKS5 handshake") {
  FakeProxy proxy([](Stream& client) { read_n(client, 3); }); // reads the greeting, closes
  Failure failure = socks_failure(socks5_via(proxy), k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::reset);
  CHECK(failure.step == "socks5 handshake");
  CHECK(contains(failure.detail, "closed the connection without answering"));
  // Closing with our greeting unread makes the kernel send a reset instead: same kind.
  FakeProxy rude([](Stream&) {});
  Failure reset = socks_failure(socks5_via(rude), k_server);
  rude.join();
  CHECK(reset.kind == FailureKind::reset);
  CHECK(reset.step == "socks5 handshake");
}

TEST_CASE("given an HTTP proxy configured as SOCKS5 when connecting then a protocol failure says "
          "it is an HTTP proxy") {
  FakeProxy proxy([](Stream& client) {
    read_n(client, 3);
    client.write_all(bytes_of("HTTP/1.1 400 Bad Request\r\n\r\n"), soon());
  });
  Failure failure = socks_failure(socks5_via(proxy), k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(contains(failure.detail, "HTTP proxy"));
}

TEST_CASE("given a malformed SOCKS5 reply when connecting then the failure is protocol") {
  FakeProxy proxy([](Stream& client) {
    Bytes head = read_n(client, 2);
    read_n(client, head[1]);
    send(client, {0x05, 0x00});
    read_n(client, 10);
    send(client, {0x05, 0x00, 0x00, 0x07, 1, 2, 3, 4, 5, 6}); // address type 7 does not exist
  });
  Failure failure = socks_failure(socks5_via(proxy), k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(failure.step == "socks5 connect");
}

TEST_CASE("given no proxy listening when connecting then the failure is proxy_unreachable and "
          "names the proxy") {
  Endpoint dead = dead_endpoint();
  Failure failure = socks_failure(SocksOptions{SocksVersion::v5, dead, alice()}, k_server);
  CHECK(failure.kind == FailureKind::proxy_unreachable);
  CHECK(failure.step == "socks5 proxy connect");
  CHECK(contains(failure.detail, "proxy " + dead.to_string() + ": connection refused"));
}

TEST_CASE("given a proxy host name that does not resolve when the first hop fails then the kind "
          "stays name_resolution") {
  SocksConnector socks(tcp_for_proxies(),
                       SocksOptions{SocksVersion::v5, Endpoint{"proxy.invalid", 1080}, {}});
  Failure failure = socks.first_hop_failure(
      Failure{FailureKind::name_resolution, "resolve", "cannot resolve the host name"}, k_server);
  CHECK(failure.kind == FailureKind::name_resolution);
  CHECK(failure.step == "socks5 proxy connect");
  CHECK(contains(failure.detail, "proxy proxy.invalid:1080: host name not found"));
  Failure other =
      socks.first_hop_failure(Failure{FailureKind::other, "bind source port", "x"}, k_server);
  CHECK(other.step == "bind source port"); // not about the proxy: passed on unchanged
}

TEST_CASE("given a silent SOCKS5 proxy when the deadline passes then the failure is a timeout "
          "in the handshake") {
  FakeProxy proxy([](Stream& client) { wait_for_close(client); });
  Failure failure = socks_failure(socks5_via(proxy), k_server, Deadline::after(200ms));
  proxy.join();
  CHECK(failure.kind == FailureKind::timeout);
  CHECK(failure.step == "socks5 handshake");
}

TEST_CASE("given an IPv6 destination when connecting through SOCKS5 then it is sent as a "
          "16-byte literal") {
  Seen seen;
  Socks5Behaviour behaviour;
  behaviour.reply = 0x04;
  FakeProxy proxy(socks5_script(behaviour, seen));
  socks_failure(socks5_via(proxy), Endpoint{"2001:db8::10", 16384});
  proxy.join();
  CHECK(seen.atyp == 0x04);
  Bytes expected(16, 0);
  expected[0] = 0x20;
  expected[1] = 0x01;
  expected[2] = 0x0d;
  expected[3] = 0xb8;
  expected[15] = 0x10;
  CHECK(seen.address == expected);
  CHECK(seen.port == 16384);
}

TEST_CASE("given a destination given by name when connecting through SOCKS5 then it is refused "
          "without sending the name") {
  Bytes received;
  FakeProxy proxy([&](Stream& client) {
    Bytes buffer(64);
    for (;;) {
      std::size_t got = client.read_some(buffer, soon());
      if (got == 0) break;
      received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<long>(got));
    }
  });
  Failure failure = socks_failure(socks5_via(proxy), Endpoint{"backup.example.com", 16384});
  proxy.join();
  CHECK(failure.kind == FailureKind::other);
  CHECK(contains(failure.detail, "not an IP address"));
  CHECK_FALSE(contains(text_of(received), "example"));
}

TEST_CASE("given SOCKS5 credentials SOCKS5 cannot carry when constructing then a config error "
          "says why, without the password") {
  Endpoint proxy{"127.0.0.1", 1080};
  auto build = [&](ProxyCredentials credentials) {
    try {
      SocksConnector(tcp_for_proxies(), SocksOptions{SocksVersion::v5, proxy, credentials});
    } catch (const TransportError& e) {
      check_no_secret(e.failure());
      CHECK(e.failure().step == "socks config");
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(contains(build({"", k_password}), "1 to 255 bytes"));
  CHECK(contains(build({std::string(256, 'u'), k_password}), "1 to 255 bytes"));
  CHECK(contains(build({"alice", k_password + std::string(250, 'p')}), "at most 255"));
  CHECK(build({"alice", k_password}).empty());
}

TEST_CASE("given credentials when describing a SOCKS connector then the user shows and the "
          "password never does") {
  SocksConnector five(tcp_for_proxies(),
                      SocksOptions{SocksVersion::v5, Endpoint{"10.0.0.1", 1080}, alice()});
  CHECK(five.describe() == "SOCKS5 proxy 10.0.0.1:1080 (user alice)");
  SocksConnector four_a(tcp_for_proxies(),
                        SocksOptions{SocksVersion::v4a, Endpoint{"proxy.corp", 1080}, {}});
  CHECK(four_a.describe() == "SOCKS4a proxy proxy.corp:1080");
  CHECK(five.first_hop(k_server) == Endpoint{"10.0.0.1", 1080});
}

// --- SOCKS4 / SOCKS4a ---------------------------------------------------------------------------

namespace {

// Reads a SOCKS4(a) request (8 bytes, user id, and for 0.0.0.x a host) into
// seen.socks4_request; returns the destination it names when it is IPv4.
Endpoint read_socks4_request(Stream& client, Seen& seen) {
  seen.socks4_request = read_n(client, 8);
  auto read_string = [&] {
    for (;;) {
      Bytes byte = read_n(client, 1);
      seen.socks4_request.push_back(byte[0]);
      if (byte[0] == 0) break;
    }
  };
  read_string();
  const Bytes& r = seen.socks4_request;
  if (r[4] == 0 && r[5] == 0 && r[6] == 0 && r[7] != 0) read_string();
  return Endpoint{fmt::format("{}.{}.{}.{}", r[4], r[5], r[6], r[7]), port_of(r, 2)};
}

FakeProxy::Script socks4_script(std::uint8_t code, Seen& seen) {
  return [code, &seen](Stream& client) {
    Endpoint destination = read_socks4_request(client, seen);
    if (code != 0x5a) {
      send(client, {0x00, code, 0, 0, 0, 0, 0, 0});
      return;
    }
    auto server = TcpConnector().connect(destination, soon());
    send(client, {0x00, 0x5a, 0, 0, 0, 0, 0, 0});
    relay(client, *server, soon());
  };
}

} // namespace

TEST_CASE("given a SOCKS4 proxy when connecting then the user id is sent and the tunnel works") {
  EchoServer server;
  Seen seen;
  FakeProxy proxy(socks4_script(0x5a, seen));
  SocksConnector socks(tcp_for_proxies(),
                       SocksOptions{SocksVersion::v4, proxy.endpoint(), alice()});
  {
    auto stream = socks.connect(server.endpoint(), soon());
    CHECK(echo_round_trip(*stream, "socks four") == "socks four");
  }
  proxy.join();
  CHECK(proxy.error.empty());
  Bytes expected{0x04,
                 0x01,
                 static_cast<std::uint8_t>(server.endpoint().port >> 8),
                 static_cast<std::uint8_t>(server.endpoint().port & 0xff),
                 127,
                 0,
                 0,
                 1};
  for (char c : std::string("alice"))
    expected.push_back(static_cast<std::uint8_t>(c));
  expected.push_back(0);
  CHECK(seen.socks4_request == expected); // the password is never sent over SOCKS4
}

TEST_CASE("given an IPv4 destination when connecting through SOCKS4a then the request is the "
          "SOCKS4 one and the tunnel works") {
  EchoServer server;
  Seen seen;
  FakeProxy proxy(socks4_script(0x5a, seen));
  SocksConnector socks(tcp_for_proxies(), SocksOptions{SocksVersion::v4a, proxy.endpoint(), {}});
  {
    auto stream = socks.connect(server.endpoint(), soon());
    CHECK(echo_round_trip(*stream, "socks four a") == "socks four a");
  }
  proxy.join();
  CHECK(seen.socks4_request.size() == 9);
  CHECK(seen.socks4_request[4] == 127);
}

TEST_CASE("given each SOCKS4 reply code when the proxy refuses then kind and sentence say why") {
  struct Expected {
    std::uint8_t code;
    FailureKind kind;
    std::string words;
  };
  const std::vector<Expected> table = {
      {0x5b, FailureKind::proxy_denied, "rejected the request for 127.239.112.10:16384"},
      {0x5c, FailureKind::proxy_auth, "identd"},
      {0x5d, FailureKind::proxy_auth, "does not confirm the user id \"alice\""},
      {0x42, FailureKind::protocol, "unknown SOCKS4 reply code 0x42"},
  };
  for (const auto& expected : table) {
    CAPTURE(static_cast<int>(expected.code));
    Seen seen;
    FakeProxy proxy(socks4_script(expected.code, seen));
    Failure failure =
        socks_failure(SocksOptions{SocksVersion::v4, proxy.endpoint(), alice()}, k_server);
    proxy.join();
    CHECK(failure.kind == expected.kind);
    CHECK(failure.step == "socks4 connect");
    CHECK(contains(failure.detail, expected.words));
  }
}

TEST_CASE("given an IPv6 destination when using SOCKS4 then a clear error, and SOCKS4a carries the "
          "literal as its host text") {
  const Endpoint v6{"2001:db8::10", 16384};
  {
    FakeProxy proxy([](Stream& client) { wait_for_close(client); });
    Failure failure = socks_failure(SocksOptions{SocksVersion::v4, proxy.endpoint(), {}}, v6);
    proxy.join();
    CHECK(failure.kind == FailureKind::other);
    CHECK(contains(failure.detail, "SOCKS4 cannot carry the IPv6 address"));
  }
  Seen seen;
  FakeProxy proxy(socks4_script(0x5b, seen));
  socks_failure(SocksOptions{SocksVersion::v4a, proxy.endpoint(), {}}, v6);
  proxy.join();
  const Bytes& r = seen.socks4_request;
  REQUIRE(r.size() == 9 + 13);
  CHECK(Bytes(r.begin() + 4, r.begin() + 8) == Bytes{0, 0, 0, 1});
  CHECK(std::string(r.begin() + 9, r.end() - 1) == "2001:db8::10");
}

TEST_CASE("given a SOCKS5-only proxy that closes on a SOCKS4 request when connecting then the "
          "reset suggests socks5") {
  FakeProxy proxy([](Stream& client) { read_n(client, 9); });
  Failure failure = socks_failure(SocksOptions{SocksVersion::v4, proxy.endpoint(), {}}, k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::reset);
  CHECK(contains(failure.detail, "socks5://"));
}

TEST_CASE("given a SOCKS5 proxy answering a SOCKS4 request with its own version when connecting "
          "then a protocol failure suggests socks5") {
  FakeProxy proxy([](Stream& client) {
    read_n(client, 9);
    send(client, {0x05, 0xff}); // what microsocks does
  });
  Failure failure = socks_failure(SocksOptions{SocksVersion::v4, proxy.endpoint(), {}}, k_server);
  proxy.join();
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(contains(failure.detail, "it speaks SOCKS5; use socks5://"));
}

// --- TLS through the tunnel ---------------------------------------------------------------------

TEST_CASE("given TLS over SOCKS5 when connecting then the pinned handshake and data pass the "
          "tunnel") {
  CaIdentity ca = generate_ca();
  ServerCertificate leaf = issue_server_cert(ca, {"127.0.0.1"});
  TlsServer tls_server(TlsServerConfig{leaf.key_pem, leaf.chain_pem(ca)});
  auto listener = listen_loopback();
  std::string server_error;
  Background server([&] {
    auto tcp = listener->accept(soon());
    if (!tcp) return;
    try {
      auto tls = tls_server.accept(std::move(tcp), soon());
      Bytes ping = read_n(*tls, 4);
      tls->write_all(bytes_of("pong" + text_of(ping)), soon());
      tls->shutdown_write(soon());
    } catch (const TransportError& e) {
      server_error = e.what();
    }
  });
  Seen seen;
  Socks5Behaviour behaviour;
  behaviour.required_user = "alice";
  FakeProxy proxy(socks5_script(behaviour, seen));
  auto socks = std::make_shared<SocksConnector>(tcp_for_proxies(), socks5_via(proxy, alice()));
  TlsConnector tls(socks, TlsClientConfig{fingerprint(ca.cert_pem), {}});
  {
    auto stream = tls.connect(listener->local_endpoint(), soon());
    stream->write_all(bytes_of("ping"), soon());
    CHECK(text_of(read_n(*stream, 8)) == "pongping");
    Bytes one(1);
    CHECK(stream->read_some(one, soon()) == 0); // the server's close_notify
  }
  server.join();
  proxy.join();
  CHECK(server_error.empty());
  CHECK(proxy.error.empty());
  CHECK(seen.username == "alice");
}

TEST_SUITE_END();
