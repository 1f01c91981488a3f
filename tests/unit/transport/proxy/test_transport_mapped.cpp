#include <doctest/doctest.h>

#include <string>

#include "tests/unit/test_transport_proxy_helpers.hpp"
#include "transport/proxy/mapped_connector.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;
using namespace std::chrono_literals;

namespace {

const Endpoint k_primary{"193.239.112.10", 16384};
const Endpoint k_alternate{"193.239.113.10", 16384};

// A port forward: one connection from the firewall port to `target`.
FakeProxy::Script forward_to(Endpoint target) {
  return [target](Stream& client) {
    auto server = TcpConnector().connect(target, soon());
    relay(client, *server, soon());
  };
}

} // namespace

TEST_SUITE_BEGIN("transport::Mapped");

TEST_CASE("given a firewall port per server when connecting then each server is reached through "
          "its own port, with no handshake bytes") {
  EchoServer primary;
  EchoServer alternate;
  FakeProxy primary_port(forward_to(primary.endpoint()));
  FakeProxy alternate_port(forward_to(alternate.endpoint()));
  MappedConnector mapped(tcp_for_proxies(),
                         MappedOptions{"localhost",
                                       {{k_primary, primary_port.endpoint().port},
                                        {k_alternate, alternate_port.endpoint().port}}});
  CHECK(mapped.first_hop(k_primary) == Endpoint{"localhost", primary_port.endpoint().port});
  {
    auto stream = mapped.connect(k_primary, soon());
    CHECK(echo_round_trip(*stream, "to the primary") == "to the primary");
  }
  {
    auto stream = mapped.connect(k_alternate, soon());
    CHECK(echo_round_trip(*stream, "to the alternate") == "to the alternate");
  }
  primary_port.join();
  alternate_port.join();
  CHECK(primary_port.error.empty());
  CHECK(alternate_port.error.empty());
  CHECK(primary.served == 1);
  CHECK(alternate.served == 1);
}

TEST_CASE("given a server without a mapped port when connecting then the error asks for --map") {
  MappedConnector mapped(tcp_for_proxies(), MappedOptions{"127.0.0.1", {{k_primary, 40001}}});
  try {
    mapped.connect(k_alternate, soon());
    FAIL("no port is mapped for the alternate");
  } catch (const TransportError& e) {
    CHECK(e.kind() == FailureKind::other);
    CHECK(e.failure().step == "mapped firewall");
    CHECK(e.failure().detail == "no firewall port is mapped for 193.239.113.10:16384: add --map "
                                "193.239.113.10=PORT");
  }
}

TEST_CASE("given a closed firewall port when connecting then the kind stays refused and names "
          "the port and the server it stands for") {
  Endpoint dead = dead_endpoint();
  MappedConnector mapped(tcp_for_proxies(), MappedOptions{"127.0.0.1", {{k_primary, dead.port}}});
  Failure failure = connect_failure(mapped, k_primary);
  CHECK(failure.kind == FailureKind::refused);
  CHECK(failure.step == "mapped firewall connect");
  CHECK(contains(failure.detail, "firewall port " + dead.to_string()));
  CHECK(contains(failure.detail, "standing for the server 193.239.112.10:16384"));
}

TEST_CASE("given a firewall whose accept queue is full when connecting then the kind stays "
          "timeout") {
  // Linux drops SYNs once a listener's accept queue is full, like a filter that drops.
  auto listener = listen_loopback(0);
  MappedConnector mapped(
      tcp_for_proxies(),
      MappedOptions{"127.0.0.1", {{k_primary, listener->local_endpoint().port}}});
  std::vector<std::unique_ptr<Stream>> queued;
  std::optional<Failure> timeout;
  for (int i = 0; i < 8 && !timeout; ++i) {
    try {
      queued.push_back(mapped.connect(k_primary, Deadline::after(300ms)));
    } catch (const TransportError& e) {
      timeout = e.failure();
    }
  }
  REQUIRE(timeout);
  CHECK(timeout->kind == FailureKind::timeout);
  CHECK(timeout->step == "mapped firewall connect");
}

TEST_CASE("given a map when describing then the firewall and the count show") {
  MappedConnector mapped(tcp_for_proxies(),
                         MappedOptions{"fw.corp", {{k_primary, 40001}, {k_alternate, 40002}}});
  CHECK(mapped.describe() == "mapped firewall fw.corp (2 servers mapped)");
  MappedConnector one(tcp_for_proxies(), MappedOptions{"fw.corp", {{k_primary, 40001}}});
  CHECK(one.describe() == "mapped firewall fw.corp (1 server mapped)");
}

TEST_SUITE_END();
