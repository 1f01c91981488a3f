#include <doctest/doctest.h>

#include <set>
#include <string>

#include "transport/net/tcp_connector.hpp"
#include "transport/proxy/http_connect_connector.hpp"
#include "transport/proxy/mapped_connector.hpp"
#include "transport/proxy/proxy_schemes.hpp"
#include "transport/proxy/socks_connector.hpp"

using namespace offsite::transport;

namespace {

const std::string k_secret = "s3cret-never-printed";
const Endpoint k_server{"193.239.112.10", 16384};

const ProxyScheme& scheme(std::string_view name) {
  const ProxyScheme* found = find_proxy_scheme(name);
  REQUIRE(found != nullptr);
  return *found;
}

ProxyTarget target_with_user(Endpoint proxy) {
  return ProxyTarget{std::move(proxy), ProxyCredentials{"al@ice", k_secret}, {}};
}

std::shared_ptr<ProxyConnector> build(std::string_view name, const ProxyTarget& target) {
  return scheme(name).make(std::make_shared<TcpConnector>(TcpOptions{true, {}}), target);
}

} // namespace

TEST_SUITE_BEGIN("transport::ProxySchemes");

TEST_CASE("given the table, when every name and alias is looked up, then each finds its own row "
          "and nothing else answers") {
  std::set<std::string_view> names;
  for (const auto& row : proxy_schemes()) {
    CHECK(find_proxy_scheme(row.name) == &row);
    CHECK(names.insert(row.name).second);
    if (!row.alias.empty()) {
      CHECK(find_proxy_scheme(row.alias) == &row);
      CHECK(names.insert(row.alias).second);
    }
  }
  CHECK(names ==
        std::set<std::string_view>{"socks5", "socks5h", "socks4", "socks4a", "http", "mapped"});
  CHECK(proxy_schemes().front().name == "socks5");
  CHECK(find_proxy_scheme("https") == nullptr);
  CHECK(find_proxy_scheme("socks") == nullptr);
  CHECK(find_proxy_scheme("") == nullptr);
  CHECK(find_proxy_scheme("SOCKS5") == nullptr); // callers lower the case first
}

TEST_CASE("given each scheme, when asked for its defaults, then ports, users and passwords are "
          "as curl and the protocols have them") {
  for (const auto* name : {"socks5", "socks4", "socks4a", "http"}) {
    CAPTURE(name);
    CHECK(scheme(name).default_port == k_default_proxy_port);
    CHECK(scheme(name).takes_port());
    CHECK(scheme(name).takes_user);
    CHECK_FALSE(scheme(name).uses_port_map());
  }
  CHECK(k_default_proxy_port == 1080);
  CHECK(scheme("socks5").takes_password);
  CHECK(scheme("http").takes_password);
  CHECK_FALSE(scheme("socks4").takes_password);
  CHECK_FALSE(scheme("socks4a").takes_password);
  CHECK(scheme("socks4").user_label == "user id");
  CHECK(scheme("socks5").user_label == "user");

  const ProxyScheme& mapped = scheme("mapped");
  CHECK(mapped.default_port == 0);
  CHECK_FALSE(mapped.takes_port());
  CHECK_FALSE(mapped.takes_user);
  CHECK_FALSE(mapped.takes_password);
  CHECK(mapped.uses_port_map());

  CHECK(scheme("socks5").label == "SOCKS5 proxy");
  CHECK(scheme("socks4a").label == "SOCKS4a proxy");
  CHECK(scheme("http").label == "HTTP proxy");
  CHECK(mapped.label == "mapped firewall");
}

TEST_CASE("given a target with a password, when redacted, then the canonical URL keeps the user "
          "%-encoded and never the password") {
  const auto with_user = target_with_user(Endpoint{"proxy.example", 1080});
  for (const auto& row : proxy_schemes()) {
    CAPTURE(row.name);
    const std::string text = row.redact(row, with_user);
    CHECK(text.find(k_secret) == std::string::npos);
    CHECK(text.rfind(std::string(row.name) + "://al%40ice@proxy.example", 0) == 0);
  }
  const ProxyScheme& socks5h = scheme("socks5h");
  CHECK(socks5h.redact(socks5h, with_user) == "socks5://al%40ice@proxy.example:1080");
  const ProxyScheme& http = scheme("http");
  CHECK(http.redact(http, ProxyTarget{Endpoint{"2001:db8::1", 3128}, {}, {}}) ==
        "http://[2001:db8::1]:3128");
  const ProxyScheme& mapped = scheme("mapped");
  CHECK(mapped.redact(mapped, ProxyTarget{Endpoint{"fw.example", 0}, {}, {}}) ==
        "mapped://fw.example");
  CHECK(mapped.redact(mapped, ProxyTarget{Endpoint{"2001:db8::2", 0}, {}, {}}) ==
        "mapped://[2001:db8::2]");
}

TEST_CASE("given each scheme, when its connector is made, then it is the right layer with the "
          "target's proxy, credentials and ports") {
  const auto target = target_with_user(Endpoint{"10.0.0.1", 1080});

  const std::pair<const char*, SocksVersion> socks[] = {{"socks5", SocksVersion::v5},
                                                        {"socks5h", SocksVersion::v5},
                                                        {"socks4", SocksVersion::v4},
                                                        {"socks4a", SocksVersion::v4a}};
  for (const auto& entry : socks) {
    const char* name = entry.first;
    const SocksVersion version = entry.second;
    CAPTURE(name);
    const auto connector = build(name, target);
    const auto* layer = dynamic_cast<const SocksConnector*>(connector.get());
    REQUIRE(layer != nullptr);
    CHECK(layer->options().version == version);
    CHECK(layer->options().proxy == target.proxy);
    REQUIRE(layer->options().credentials);
    CHECK(layer->options().credentials->password == k_secret);
    CHECK(layer->first_hop(k_server) == target.proxy);
  }

  const auto http = build("http", target);
  const auto* http_layer = dynamic_cast<const HttpConnectConnector*>(http.get());
  REQUIRE(http_layer != nullptr);
  CHECK(http_layer->options().proxy == target.proxy);
  REQUIRE(http_layer->options().credentials);
  CHECK(http_layer->options().credentials->username == "al@ice");

  const auto mapped =
      build("mapped", ProxyTarget{Endpoint{"fw.example", 0}, {}, {{k_server, 40001}}});
  const auto* mapped_layer = dynamic_cast<const MappedConnector*>(mapped.get());
  REQUIRE(mapped_layer != nullptr);
  CHECK(mapped_layer->options().firewall_host == "fw.example");
  CHECK(mapped_layer->first_hop(k_server) == Endpoint{"fw.example", 40001});
  CHECK(mapped->describe() == "mapped firewall fw.example (1 server mapped)");
}

TEST_CASE("given credentials a protocol cannot carry, when the connector is made, then it throws "
          "without quoting the password") {
  ProxyTarget target{
      Endpoint{"10.0.0.1", 1080}, ProxyCredentials{std::string(256, 'u'), k_secret}, {}};
  try {
    build("socks5", target);
    FAIL("a 256-byte SOCKS5 user name was accepted");
  } catch (const TransportError& e) {
    CHECK(e.failure().detail.find(k_secret) == std::string::npos);
  }
  CHECK_THROWS_AS(
      build("http", ProxyTarget{Endpoint{"10.0.0.1", 3128}, ProxyCredentials{"a:b", ""}, {}}),
      TransportError);
}

TEST_SUITE_END();
