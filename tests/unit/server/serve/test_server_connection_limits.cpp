#include <doctest/doctest.h>

#include "server/serve/connection_limits.hpp"

using offsite::server::address_group;
using offsite::server::ConnectionLimits;

TEST_SUITE_BEGIN("server::ConnectionLimits");

TEST_CASE("given addresses, when grouped, then IPv4 by address and IPv6 by /64") {
  CHECK(address_group("203.0.113.7") == "203.0.113.7");
  CHECK(address_group("::ffff:203.0.113.7") == "203.0.113.7");
  CHECK(address_group("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64");
  CHECK(address_group("2001:db8:1:2:bbbb::9") == address_group("2001:db8:1:2::5"));
  CHECK(address_group("unknown") == "unknown");
}

TEST_CASE("given a per-address limit, when one address is full, then others still get in") {
  ConnectionLimits limits(10, 2);
  CHECK_FALSE(limits.admit("a"));
  CHECK_FALSE(limits.admit("a"));
  const auto refusal = limits.admit("a");
  REQUIRE(refusal);
  CHECK(refusal->find("--max-connections-per-address") != std::string::npos);
  CHECK_FALSE(limits.admit("b"));
  limits.release("a");
  CHECK_FALSE(limits.admit("a"));
}

TEST_CASE("given the total limit, when reached, then every address is refused until one leaves") {
  ConnectionLimits limits(3, 2);
  CHECK_FALSE(limits.admit("a"));
  CHECK_FALSE(limits.admit("b"));
  CHECK_FALSE(limits.admit("c"));
  const auto refusal = limits.admit("d");
  REQUIRE(refusal);
  CHECK(refusal->find("--max-connections)") != std::string::npos);
  limits.release("b");
  CHECK_FALSE(limits.admit("d"));
}

TEST_SUITE_END();
