#include <doctest/doctest.h>

#include <string>

#include "transport/net/endpoint.hpp"
#include "transport/net/tcp_connector.hpp"

using namespace offsite::transport;

TEST_SUITE_BEGIN("transport::Endpoint");

TEST_CASE("given IPv4 and bracketed IPv6 endpoints when parsed then host and port come back "
          "canonical and format round-trips") {
  auto v4 = parse_endpoint("193.239.112.10:16384");
  REQUIRE(v4);
  CHECK(v4->host == "193.239.112.10");
  CHECK(v4->port == 16384);
  CHECK(v4->to_string() == "193.239.112.10:16384");

  auto v6 = parse_endpoint("[2001:DB8:0:0::1]:443");
  REQUIRE(v6);
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->port == 443);
  CHECK(v6->to_string() == "[2001:db8::1]:443");
  CHECK(parse_endpoint(v6->to_string()) == v6);
}

TEST_CASE("given bad endpoint text when parsed then it is refused with a sentence naming the "
          "problem") {
  std::string error;
  CHECK_FALSE(parse_endpoint("", &error));
  CHECK(error.find("empty") != std::string::npos);
  CHECK_FALSE(parse_endpoint("193.239.112.10", &error));
  CHECK(error.find("missing ':PORT'") != std::string::npos);
  CHECK_FALSE(parse_endpoint("193.239.112.10:0", &error));
  CHECK(error.find("1 to 65535") != std::string::npos);
  CHECK_FALSE(parse_endpoint("193.239.112.10:65536", &error));
  CHECK_FALSE(parse_endpoint("193.239.112.10:16a", &error));
  CHECK_FALSE(parse_endpoint("193.239.112.10:", &error));
  CHECK_FALSE(parse_endpoint("::1:80", &error));
  CHECK(error.find("brackets") != std::string::npos);
  CHECK_FALSE(parse_endpoint("[::1:80", &error));
  CHECK_FALSE(parse_endpoint("[::1]80", &error));
  CHECK_FALSE(parse_endpoint("[1.2.3.4]:80", &error));
  CHECK_FALSE(parse_endpoint("1.2.3.999:80", &error));
  CHECK_FALSE(parse_endpoint("01.2.3.4:80", &error));
  CHECK_FALSE(parse_endpoint("backup.example.com:16384", &error));
  CHECK(error.find("never by name") != std::string::npos);
}

TEST_CASE("given names allowed (proxies) when parsed then names and default ports are accepted") {
  EndpointSyntax proxy{true, 1080};
  auto named = parse_endpoint("proxy.example.com", nullptr, proxy);
  REQUIRE(named);
  CHECK(named->host == "proxy.example.com");
  CHECK(named->port == 1080);
  CHECK_FALSE(named->is_ip());
  auto with_port = parse_endpoint("proxy:3128", nullptr, proxy);
  REQUIRE(with_port);
  CHECK(with_port->port == 3128);
  auto bare_v6 = parse_endpoint("::1", nullptr, proxy);
  REQUIRE(bare_v6);
  CHECK(bare_v6->host == "::1");
  CHECK(bare_v6->port == 1080);
  CHECK_FALSE(parse_endpoint("bad_host!:80", nullptr, proxy));
  CHECK_FALSE(parse_endpoint("-bad.example:80", nullptr, proxy));
  CHECK_FALSE(parse_endpoint("1.2.3.999:80", nullptr, proxy)); // numeric: a bad IP, not a name
}

TEST_CASE("given is_ip_literal when asked then only strict IP literals qualify") {
  CHECK(is_ip_literal("127.0.0.1"));
  CHECK(is_ip_literal("::1"));
  CHECK(is_ip_literal("::ffff:193.239.112.1"));
  CHECK_FALSE(is_ip_literal("localhost"));
  CHECK_FALSE(is_ip_literal("1.2.3"));
  CHECK_FALSE(is_ip_literal("[::1]"));
  CHECK_FALSE(is_ip_literal(""));
}

TEST_CASE("given the data-centre subnets when checking addresses then only hosts inside match") {
  auto subnet = Cidr::parse("193.239.112.0/24");
  REQUIRE(subnet);
  CHECK(subnet->to_string() == "193.239.112.0/24");
  CHECK(subnet->contains("193.239.112.0"));
  CHECK(subnet->contains("193.239.112.254"));
  CHECK(subnet->contains("::ffff:193.239.112.10")); // IPv4-mapped counts as IPv4
  CHECK_FALSE(subnet->contains("193.239.113.10"));
  CHECK_FALSE(subnet->contains("193.239.111.255"));
  CHECK_FALSE(subnet->contains("2001:db8::1"));
  CHECK_FALSE(subnet->contains("not-an-ip"));

  auto odd = Cidr::parse("10.0.0.0/13");
  REQUIRE(odd);
  CHECK(odd->contains("10.7.255.255"));
  CHECK_FALSE(odd->contains("10.8.0.0"));

  auto all = Cidr::parse("0.0.0.0/0");
  REQUIRE(all);
  CHECK(all->contains("8.8.8.8"));
  auto one = Cidr::parse("127.239.112.10/32");
  REQUIRE(one);
  CHECK(one->contains("127.239.112.10"));
  CHECK_FALSE(one->contains("127.239.112.11"));

  auto v6 = Cidr::parse("2001:db8:abcd::/48");
  REQUIRE(v6);
  CHECK(v6->contains("2001:db8:abcd:ffff::1"));
  CHECK_FALSE(v6->contains("2001:db8:abce::1"));
  CHECK_FALSE(v6->contains("193.239.112.1"));
}

TEST_CASE("given bad subnet text when parsed then the error names the problem and the fix") {
  std::string error;
  CHECK_FALSE(Cidr::parse("193.239.112.5/24", &error));
  CHECK(error.find("did you mean 193.239.112.0/24?") != std::string::npos);
  CHECK_FALSE(Cidr::parse("193.239.112.0", &error));
  CHECK(error.find("ADDRESS/PREFIX") != std::string::npos);
  CHECK_FALSE(Cidr::parse("193.239.112.0/33", &error));
  CHECK(error.find("0 to 32") != std::string::npos);
  CHECK_FALSE(Cidr::parse("2001:db8::/129", &error));
  CHECK_FALSE(Cidr::parse("host/24", &error));
  CHECK_FALSE(Cidr::parse("10.0.0.0/", &error));
  CHECK_FALSE(Cidr::parse("10.0.0.0/-1", &error));
}

TEST_CASE("given source-port range text when parsed then valid ranges pass and bad ones explain") {
  auto range = SourcePortRange::parse("1024-5000");
  REQUIRE(range);
  CHECK(range->low == 1024);
  CHECK(range->high == 5000);
  CHECK(range->to_string() == "1024-5000");
  CHECK(range->contains(1024));
  CHECK_FALSE(range->contains(5001));
  std::string error;
  CHECK_FALSE(SourcePortRange::parse("5000-1024", &error));
  CHECK(error.find("above") != std::string::npos);
  CHECK_FALSE(SourcePortRange::parse("1024", &error));
  CHECK_FALSE(SourcePortRange::parse("0-10", &error));
  CHECK_FALSE(SourcePortRange::parse("1-70000", &error));
}

TEST_SUITE_END();
