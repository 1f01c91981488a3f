#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/test_transport_helpers.hpp"
#include "transport/net/socket_stream.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/net/tcp_listener.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;
using namespace std::chrono_literals;

TEST_SUITE_BEGIN("transport::Tcp");

TEST_CASE("given a loopback server when a client connects then bytes flow both ways and EOF is "
          "seen") {
  auto listener = listen_loopback();
  Endpoint where = listener->local_endpoint();
  CHECK(where.host == "127.0.0.1");
  CHECK(where.port != 0);

  std::string server_got;
  Background server([&] {
    auto stream = listener->accept(soon());
    if (!stream) return;
    std::vector<std::uint8_t> buffer(5);
    stream->read_exact(buffer, soon());
    server_got = text_of(buffer);
    stream->write_all(bytes_of("world"), soon());
    stream->shutdown_write(soon());
  });

  TcpConnector connector;
  auto stream = connector.connect(where, soon());
  CHECK(peer_endpoint(stream->native_handle()) == where);
  stream->write_all(bytes_of("hello"), soon());
  std::vector<std::uint8_t> buffer(5);
  stream->read_exact(buffer, soon());
  CHECK(text_of(buffer) == "world");
  CHECK(stream->read_some(buffer, soon()) == 0); // the server closed its side
  server.join();
  CHECK(server_got == "hello");
}

TEST_CASE("given a closed port when connecting then the failure is classified as refused") {
  Endpoint closed;
  {
    auto listener = listen_loopback();
    closed = listener->local_endpoint();
  }
  TcpConnector connector;
  try {
    connector.connect(closed, soon());
    FAIL("connect should have been refused");
  } catch (const TransportError& e) {
    CHECK(e.kind() == FailureKind::refused);
    CHECK(e.failure().step == "tcp connect");
    CHECK(e.failure().detail.find(closed.to_string()) != std::string::npos);
  }
}

TEST_CASE("given a server whose accept queue is full when connecting then the dropped SYN becomes "
          "a timeout that blames a packet filter") {
  // Linux drops SYNs once a listener's accept queue is full, exactly like a
  // packet filter that drops outbound TCP.
  auto listener = listen_loopback(0);
  TcpConnector connector;
  std::vector<std::unique_ptr<Stream>> queued;
  std::optional<TransportError> timeout;
  for (int i = 0; i < 8 && !timeout; ++i) {
    try {
      queued.push_back(connector.connect(listener->local_endpoint(), Deadline::after(300ms)));
    } catch (const TransportError& e) {
      timeout = e;
    }
  }
  REQUIRE(timeout);
  CHECK(timeout->kind() == FailureKind::timeout);
  CHECK(timeout->failure().detail.find("packet filter") != std::string::npos);
}

TEST_CASE("given a silent server when reading then the deadline turns into a timeout failure") {
  auto listener = listen_loopback();
  TcpConnector connector;
  auto stream = connector.connect(listener->local_endpoint(), soon());
  auto accepted = listener->accept(soon());
  REQUIRE(accepted);
  std::vector<std::uint8_t> buffer(16);
  try {
    stream->read_some(buffer, Deadline::after(100ms));
    FAIL("read should have timed out");
  } catch (const TransportError& e) {
    CHECK(e.kind() == FailureKind::timeout);
  }
}

TEST_CASE("given a peer that closes mid-message when reading exactly then a reset failure says "
          "how much arrived") {
  auto listener = listen_loopback();
  TcpConnector connector;
  auto stream = connector.connect(listener->local_endpoint(), soon());
  {
    auto accepted = listener->accept(soon());
    REQUIRE(accepted);
    accepted->write_all(bytes_of("abc"), soon());
  } // closed
  std::vector<std::uint8_t> buffer(10);
  try {
    stream->read_exact(buffer, soon());
    FAIL("read_exact should have failed");
  } catch (const TransportError& e) {
    CHECK(e.kind() == FailureKind::reset);
    CHECK(e.failure().detail.find("3 of 10") != std::string::npos);
  }
}

TEST_CASE("given a read blocked on another thread when the stream is aborted then the read "
          "returns at once") {
  auto listener = listen_loopback();
  TcpConnector connector;
  auto stream = connector.connect(listener->local_endpoint(), soon());
  auto accepted = listener->accept(soon());
  REQUIRE(accepted);
  std::atomic<bool> returned{false};
  Background reader([&] {
    std::vector<std::uint8_t> buffer(16);
    try {
      stream->read_some(buffer, Deadline::after(30s));
    } catch (const TransportError&) {
    }
    returned = true;
  });
  std::this_thread::sleep_for(50ms);
  stream->abort();
  reader.join(); // would take 30 s without the abort
  CHECK(returned);
}

TEST_CASE("given a listener when stop is called from another thread then accept returns null") {
  auto listener = listen_loopback();
  Background stopper([&] {
    std::this_thread::sleep_for(50ms);
    listener->stop();
  });
  CHECK(listener->accept(Deadline::after(30s)) == nullptr);
  CHECK(listener->accept(Deadline::after(30s)) == nullptr);
}

TEST_CASE("given a listener and nobody connecting when accepting then the deadline returns null") {
  auto listener = listen_loopback();
  CHECK(listener->accept(Deadline::after(50ms)) == nullptr);
}

TEST_CASE("given a source-port range when connecting then every local port lies in the range") {
  auto listener = listen_loopback();
  SourcePortRange range{23100, 23139}; // below Linux's ephemeral range
  TcpConnector connector(TcpOptions{false, range});
  std::vector<std::unique_ptr<Stream>> streams;
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 5; ++i) {
    streams.push_back(connector.connect(listener->local_endpoint(), soon()));
    auto local = local_endpoint(streams.back()->native_handle());
    CHECK(range.contains(local.port));
    ports.insert(local.port);
  }
  CHECK(ports.size() == 5); // all open at once, so all distinct
}

TEST_CASE("given a source-port range with a port in use when connecting then the connector walks "
          "past it, and reports a full range") {
  auto listener = listen_loopback();
  auto squatter = TcpListener::listen(Endpoint{"127.0.0.1", 23150});
  TcpConnector two(TcpOptions{false, SourcePortRange{23150, 23151}});
  auto stream = two.connect(listener->local_endpoint(), soon());
  CHECK(local_endpoint(stream->native_handle()).port == 23151);
  TcpConnector one(TcpOptions{false, SourcePortRange{23150, 23150}});
  try {
    one.connect(listener->local_endpoint(), soon());
    FAIL("no source port was free");
  } catch (const TransportError& e) {
    CHECK(e.failure().detail.find("23150-23150 is in use") != std::string::npos);
  }
}

TEST_CASE("given a host name for a data-centre server when connecting then it is refused without "
          "a lookup, and proxies may use names") {
  auto listener = listen_loopback();
  Endpoint named{"localhost", listener->local_endpoint().port};
  TcpConnector direct;
  try {
    direct.connect(named, soon());
    FAIL("a name must not be resolved");
  } catch (const TransportError& e) {
    CHECK(e.failure().detail.find("not an IP address") != std::string::npos);
  }
  TcpConnector proxy_side(TcpOptions{true, std::nullopt});
  auto stream = proxy_side.connect(named, soon());
  CHECK(peer_endpoint(stream->native_handle()).host == "127.0.0.1");
}

TEST_CASE("given an IPv6 loopback server when a client connects then the literal works") {
  std::unique_ptr<TcpListener> listener;
  try {
    listener = TcpListener::listen(Endpoint{"::1", 0});
  } catch (const TransportError&) {
    MESSAGE("no IPv6 loopback here; skipping");
    return;
  }
  TcpConnector connector;
  auto stream = connector.connect(listener->local_endpoint(), soon());
  CHECK(local_endpoint(stream->native_handle()).host == "::1");
}

TEST_SUITE_END();
