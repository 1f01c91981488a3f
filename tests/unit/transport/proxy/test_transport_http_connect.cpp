#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/unit/test_transport_proxy_helpers.hpp"
#include "transport/proxy/http_connect_connector.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;
using namespace std::chrono_literals;

namespace {

const std::string k_password = "s3cret-Pa55word";
const std::string k_alice_basic = "YWxpY2U6czNjcmV0LVBhNTV3b3Jk"; // base64("alice:" + k_password)
const Endpoint k_server{"127.239.112.10", 16384};

ProxyCredentials alice(std::string password = k_password) { return {"alice", password}; }

// What a fake HTTP proxy saw: the request head, split.
struct Seen {
  std::string head;
  std::string request_line;
  std::string host;
  std::string authorization;
};

void parse_request(const std::string& head, Seen& seen) {
  seen.head = head;
  seen.request_line = head.substr(0, head.find("\r\n"));
  auto field = [&](const std::string& name) {
    auto at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return std::string();
    at += name.size() + 4;
    return head.substr(at, head.find("\r\n", at) - at);
  };
  seen.host = field("Host");
  seen.authorization = field("Proxy-Authorization");
}

// Answers the CONNECT with `answer` verbatim; with "" it opens a real
// tunnel to the requested IPv4 target and relays.
FakeProxy::Script http_script(std::string answer, Seen& seen) {
  return [answer, &seen](Stream& client) {
    parse_request(read_http_head(client), seen);
    if (!answer.empty()) {
      client.write_all(bytes_of(answer), soon());
      if (!contains(answer, "Connection: close")) wait_for_close(client);
      return;
    }
    std::string target = seen.request_line.substr(8, seen.request_line.find(' ', 8) - 8);
    auto colon = target.rfind(':');
    auto port = static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1)));
    auto server = TcpConnector().connect(Endpoint{target.substr(0, colon), port}, soon());
    client.write_all(bytes_of("HTTP/1.1 200 Connection established\r\n\r\n"), soon());
    relay(client, *server, soon());
  };
}

HttpConnectOptions via(const FakeProxy& proxy, std::optional<ProxyCredentials> credentials = {}) {
  return HttpConnectOptions{proxy.endpoint(), std::move(credentials)};
}

void check_no_secret(const Failure& failure) {
  CHECK_FALSE(contains(failure.detail, k_password));
  CHECK_FALSE(contains(failure.detail, k_alice_basic));
  CHECK_FALSE(contains(TransportError(failure).what(), k_password));
}

Failure http_failure(HttpConnectOptions options, const Endpoint& destination = k_server,
                     Deadline deadline = soon()) {
  HttpConnectConnector http(tcp_for_proxies(), std::move(options));
  Failure failure = connect_failure(http, destination, deadline);
  check_no_secret(failure);
  return failure;
}

// One fake proxy answering `answer`; returns the client's failure.
Failure failure_for_answer(const std::string& answer,
                           std::optional<ProxyCredentials> credentials = {}) {
  Seen seen;
  FakeProxy proxy(http_script(answer, seen));
  Failure failure = http_failure(via(proxy, std::move(credentials)));
  proxy.join();
  return failure;
}

} // namespace

TEST_SUITE_BEGIN("transport::HttpConnect");

TEST_CASE("given an HTTP proxy without authentication when connecting then CONNECT names the IP "
          "literal and the tunnel works") {
  EchoServer server;
  Seen seen;
  FakeProxy proxy(http_script("", seen));
  HttpConnectConnector http(tcp_for_proxies(), via(proxy));
  {
    auto stream = http.connect(server.endpoint(), soon());
    CHECK(echo_round_trip(*stream, "through the tunnel") == "through the tunnel");
  }
  proxy.join();
  CHECK(proxy.error.empty());
  const std::string target = server.endpoint().to_string();
  CHECK(seen.request_line == "CONNECT " + target + " HTTP/1.1");
  CHECK(seen.host == target);
  CHECK(seen.authorization.empty());
}

TEST_CASE("given credentials when connecting through an HTTP proxy then Basic authorization is "
          "sent") {
  EchoServer server;
  Seen seen;
  FakeProxy proxy(http_script("", seen));
  HttpConnectConnector http(tcp_for_proxies(), via(proxy, alice()));
  {
    auto stream = http.connect(server.endpoint(), soon());
    CHECK(echo_round_trip(*stream, "with auth") == "with auth");
  }
  proxy.join();
  CHECK(seen.authorization == "Basic " + k_alice_basic);
}

TEST_CASE("given a proxy that sends tunnel bytes right behind its 200 when connecting then none "
          "is swallowed by the handshake") {
  const std::string tunnel = "\x16\x03\x03 server bytes";
  Seen seen;
  FakeProxy proxy(http_script(
      "HTTP/1.0 200 Connection established\r\nProxy-agent: fake\r\n\r\n" + tunnel, seen));
  HttpConnectConnector http(tcp_for_proxies(), via(proxy));
  {
    auto stream = http.connect(k_server, soon());
    CHECK(text_of(read_n(*stream, tunnel.size())) == tunnel);
  }
  proxy.join();
}

TEST_CASE("given an interim 100 answer before the 200 when connecting then the tunnel opens") {
  Seen seen;
  FakeProxy proxy(http_script("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nX", seen));
  HttpConnectConnector http(tcp_for_proxies(), via(proxy));
  {
    auto stream = http.connect(k_server, soon());
    CHECK(text_of(read_n(*stream, 1)) == "X");
  }
  proxy.join();
}

TEST_CASE("given an IPv6 destination when connecting through an HTTP proxy then it is written in "
          "brackets") {
  Seen seen;
  FakeProxy proxy(http_script("HTTP/1.1 403 Forbidden\r\n\r\n", seen));
  http_failure(via(proxy), Endpoint{"2001:db8::10", 16384});
  proxy.join();
  CHECK(seen.request_line == "CONNECT [2001:db8::10]:16384 HTTP/1.1");
  CHECK(seen.host == "[2001:db8::10]:16384");
}

TEST_CASE("given each refusal status when connecting then kind and sentence say why") {
  struct Expected {
    std::string answer;
    bool with_credentials;
    FailureKind kind;
    std::string words;
  };
  const std::vector<Expected> table = {
      {"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
       "realm=\"corp\"\r\n\r\n",
       false, FailureKind::proxy_auth, "the proxy wants credentials"},
      {"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
       "realm=\"corp\"\r\n\r\n",
       true, FailureKind::proxy_auth, "rejected the credentials for user alice"},
      {"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\n"
       "Proxy-Authenticate: Negotiate\r\n\r\n",
       true, FailureKind::proxy_auth, "it offers only NTLM, Negotiate authentication"},
      {"HTTP/1.0 401 Unauthorized\r\n\r\n", true, FailureKind::proxy_auth, // tinyproxy
       "rejected the credentials for user alice"},
      {"HTTP/1.1 403 Forbidden\r\n\r\n", false, FailureKind::proxy_denied,
       "forbids a tunnel to 127.239.112.10:16384: ask its administrator to permit CONNECT to TCP "
       "port 16384"},
      {"HTTP/1.1 502 Bad Gateway\r\n\r\n", false, FailureKind::unreachable,
       "the proxy could not connect to the server 127.239.112.10:16384"},
      {"HTTP/1.1 503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111\r\n\r\n", false,
       FailureKind::refused,
       "could not connect to the server 127.239.112.10:16384 (connection "
       "refused)"},
      {"HTTP/1.0 500 Unable to connect\r\nConnection: close\r\n\r\n<p>Connection refused</p>",
       false, FailureKind::refused, "could not connect to the server"},
      {"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 25\r\n\r\nconnect(): No route to host", false,
       FailureKind::unreachable, "(no route to the server)"},
      {"HTTP/1.1 503 Service Unavailable\r\n\r\n", false, FailureKind::unreachable,
       "reports the server 127.239.112.10:16384 unavailable"},
      {"HTTP/1.1 504 Gateway Timeout\r\n\r\n", false, FailureKind::timeout, "timed out"},
      {"HTTP/1.1 418 I'm a teapot\r\n\r\n", false, FailureKind::proxy_denied,
       "answered \"HTTP/1.1 418 I'm a teapot\""},
      {"HTTP/1.1 400 \x1b[31mred\x1b[0m\r\n\r\n", false, FailureKind::proxy_denied,
       "\"HTTP/1.1 400 \\x1b[31mred\\x1b[0m\""},
  };
  for (const auto& expected : table) {
    CAPTURE(expected.answer);
    Failure failure = failure_for_answer(
        expected.answer, expected.with_credentials ? std::optional(alice()) : std::nullopt);
    CHECK(failure.kind == expected.kind);
    CHECK(failure.step == "http connect");
    CHECK(contains(failure.detail, expected.words));
  }
}

TEST_CASE("given a very long status line when the proxy refuses then the quote is clipped") {
  Failure failure = failure_for_answer("HTTP/1.1 400 " + std::string(500, 'x') + "\r\n\r\n");
  CHECK(failure.kind == FailureKind::proxy_denied);
  CHECK(contains(failure.detail, "xxx..."));
  CHECK(failure.detail.size() < 300);
}

TEST_CASE("given a SOCKS proxy configured as HTTP when connecting then a protocol failure says it "
          "looks like SOCKS") {
  Failure failure = failure_for_answer(std::string("\x05\xff", 2));
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(contains(failure.detail, "SOCKS proxy"));
}

TEST_CASE("given a malformed status line when connecting then the failure is protocol") {
  Failure failure = failure_for_answer("HTTP/1.1 OK fine\r\n\r\n");
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(contains(failure.detail, "malformed status line"));
}

TEST_CASE("given answer headers beyond 16 KiB when connecting then the failure is protocol") {
  std::string answer = "HTTP/1.1 200 OK\r\n";
  while (answer.size() < 17 * 1024)
    answer += "X-Padding: " + std::string(100, 'p') + "\r\n";
  answer += "\r\n";
  Failure failure = failure_for_answer(answer);
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(contains(failure.detail, "exceed 16 KiB"));
}

TEST_CASE("given a proxy that accepts and closes when connecting then the failure is a reset") {
  Seen seen;
  FakeProxy proxy([&](Stream& client) { parse_request(read_http_head(client), seen); });
  Failure failure = http_failure(via(proxy));
  proxy.join();
  CHECK(failure.kind == FailureKind::reset);
  CHECK(failure.step == "http connect");
  CHECK(contains(failure.detail, "closed the connection without answering the CONNECT request"));
}

TEST_CASE("given no proxy listening when connecting then the failure is proxy_unreachable") {
  Endpoint dead = dead_endpoint();
  Failure failure = http_failure(HttpConnectOptions{dead, alice()});
  CHECK(failure.kind == FailureKind::proxy_unreachable);
  CHECK(failure.step == "http proxy connect");
  CHECK(contains(failure.detail, "proxy " + dead.to_string() + ": connection refused"));
}

TEST_CASE("given a silent HTTP proxy when the deadline passes then the failure is a timeout") {
  FakeProxy proxy([](Stream& client) { wait_for_close(client); });
  Failure failure = http_failure(via(proxy), k_server, Deadline::after(200ms));
  proxy.join();
  CHECK(failure.kind == FailureKind::timeout);
  CHECK(failure.step == "http connect");
}

TEST_CASE("given a username with a colon when constructing then Basic cannot carry it") {
  try {
    HttpConnectConnector(tcp_for_proxies(),
                         HttpConnectOptions{k_server, ProxyCredentials{"al:ice", k_password}});
    FAIL("a colon cannot be sent in Basic authentication");
  } catch (const TransportError& e) {
    CHECK(e.failure().step == "http proxy config");
    CHECK_FALSE(contains(e.what(), k_password));
  }
}

TEST_CASE("given credentials when describing an HTTP connector then the user shows and the "
          "password never does") {
  HttpConnectConnector http(tcp_for_proxies(),
                            HttpConnectOptions{Endpoint{"proxy.corp", 3128}, alice()});
  CHECK(http.describe() == "HTTP proxy proxy.corp:3128 (user alice)");
  CHECK(http.first_hop(k_server) == Endpoint{"proxy.corp", 3128});
}

TEST_SUITE_END();
