#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/unit/test_transport_proxy_helpers.hpp"
#include "transport/proxy/routing_connector.hpp"
#include "transport/proxy/socks_connector.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;

namespace {

// Remembers what it was asked for and fails under its own name.
class NamedConnector final : public Connector {
public:
  explicit NamedConnector(std::string name) : m_name(std::move(name)) {}
  std::unique_ptr<Stream> connect(const Endpoint& destination, Deadline) override {
    asked.push_back(destination);
    throw TransportError(FailureKind::other, m_name, "not connected");
  }
  std::vector<Endpoint> asked;

private:
  std::string m_name;
};

bool bypass(std::vector<std::string> no_proxy, const std::string& host) {
  RoutingConnector routing(std::make_shared<NamedConnector>("direct"),
                           std::make_shared<NamedConnector>("proxied"), std::move(no_proxy));
  return routing.bypasses(Endpoint{host, 16384});
}

} // namespace

TEST_SUITE_BEGIN("transport::Routing");

TEST_CASE("given no NO_PROXY entries when routing then everything goes through the proxy") {
  CHECK_FALSE(bypass({}, "193.239.112.10"));
  CHECK_FALSE(bypass({""}, "193.239.112.10"));
  CHECK_FALSE(bypass({" , ,"}, "193.239.112.10"));
}

TEST_CASE("given NO_PROXY=* when routing then everything goes direct") {
  CHECK(bypass({"*"}, "193.239.112.10"));
  CHECK(bypass({"*"}, "2001:db8::1"));
  CHECK(bypass({"*"}, "backup.example.com"));
}

TEST_CASE("given IP and CIDR entries when routing then addresses inside go direct, others not") {
  CHECK(bypass({"193.239.112.10"}, "193.239.112.10"));
  CHECK_FALSE(bypass({"193.239.112.10"}, "193.239.112.11"));
  CHECK(bypass({"193.239.112.0/24"}, "193.239.112.254"));
  CHECK_FALSE(bypass({"193.239.112.0/24"}, "193.239.113.10"));
  CHECK(bypass({"193.239.112.0/23"}, "193.239.113.10"));
  CHECK(bypass({"193.239.112.77/24"}, "193.239.112.10")); // host bits ignored, as curl does
  CHECK_FALSE(bypass({"0.0.0.0/0"}, "193.239.112.10"));   // curl: /0 means the whole address
  CHECK(bypass({"2001:db8::/32"}, "2001:db8:5::1"));
  CHECK_FALSE(bypass({"2001:db8::/32"}, "2001:db9::1"));
  CHECK(bypass({"[2001:db8::1]"}, "2001:db8::1"));
  CHECK_FALSE(bypass({"193.239.112.0/24"}, "2001:db8::1")); // other family never matches
  CHECK_FALSE(bypass({"193.239.112.0/33"}, "193.239.112.10"));
}

TEST_CASE("given a curl-style list in one string when routing then commas and blanks separate "
          "entries") {
  std::vector<std::string> list{"localhost, .corp.example  10.0.0.0/8,193.239.113.0/24"};
  CHECK(bypass(list, "193.239.113.10"));
  CHECK(bypass(list, "10.1.2.3"));
  CHECK_FALSE(bypass(list, "193.239.112.10"));
  CHECK_FALSE(bypass({"*,193.239.112.10"}, "193.239.113.10")); // "*" counts only alone
}

TEST_CASE("given name entries when routing then names match by domain suffix and never match an "
          "IP") {
  CHECK(bypass({"example.com"}, "example.com"));
  CHECK(bypass({"example.com"}, "backup.example.com"));
  CHECK(bypass({".example.com"}, "example.com"));
  CHECK(bypass({"Example.COM."}, "backup.example.com."));
  CHECK_FALSE(bypass({"example.com"}, "notexample.com"));
  CHECK_FALSE(bypass({"example.com"}, "193.239.112.10"));
  CHECK_FALSE(bypass({"193.239"}, "193.239.112.10")); // no prefix matching of addresses
}

TEST_CASE("given a routing connector when connecting then bypassed destinations go direct and "
          "the rest through the proxy") {
  auto direct = std::make_shared<NamedConnector>("direct");
  auto proxied = std::make_shared<NamedConnector>("proxied");
  RoutingConnector routing(direct, proxied, {"193.239.113.0/24"});
  const Endpoint primary{"193.239.112.10", 16384};
  const Endpoint alternate{"193.239.113.10", 16384};
  CHECK(connect_failure(routing, primary).step == "proxied");
  CHECK(connect_failure(routing, alternate).step == "direct");
  CHECK(proxied->asked == std::vector<Endpoint>{primary});
  CHECK(direct->asked == std::vector<Endpoint>{alternate});
}

TEST_CASE("given a dead proxy and NO_PROXY covering the server when connecting then the real "
          "direct connection works") {
  EchoServer server;
  auto socks = std::make_shared<SocksConnector>(
      tcp_for_proxies(), SocksOptions{SocksVersion::v5, dead_endpoint(), std::nullopt});
  RoutingConnector routing(std::make_shared<TcpConnector>(), socks, {"127.0.0.0/8"});
  auto stream = routing.connect(server.endpoint(), soon());
  CHECK(echo_round_trip(*stream, "direct") == "direct");
  RoutingConnector proxied_only(std::make_shared<TcpConnector>(), socks, {});
  CHECK(connect_failure(proxied_only, server.endpoint()).kind == FailureKind::proxy_unreachable);
}

TEST_SUITE_END();
