#include <doctest/doctest.h>

#include <fcntl.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/unit/test_transport_helpers.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/tls/identity.hpp"
#include "transport/tls/tls.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;
using namespace std::chrono_literals;

namespace {

struct DataCentre {
  CaIdentity ca = generate_ca();
  ServerCertificate leaf;
  explicit DataCentre(std::vector<std::string> ips = {"127.0.0.1"})
      : leaf(issue_server_cert(ca, ips)) {}
  TlsServerConfig server_config() const { return {leaf.key_pem, leaf.chain_pem(ca)}; }
  std::string pin() const { return fingerprint(ca.cert_pem); }
};

// Accepts one TCP connection on 127.0.0.1 and runs the TLS server handshake
// and then `session` on it; remembers how the server side failed, if it did.
class OneShotServer {
public:
  using Session = std::function<void(Stream&)>;
  OneShotServer(TlsServerConfig config, Session session = nullptr)
      : m_listener(listen_loopback()), m_server(config),
        m_thread([this, session = std::move(session)] {
          auto tcp = m_listener->accept(soon());
          if (!tcp) return;
          try {
            auto tls = m_server.accept(std::move(tcp), soon());
            if (session) session(*tls);
          } catch (const TransportError& e) {
            failure = e.failure();
          }
        }) {}
  Endpoint endpoint() const { return m_listener->local_endpoint(); }
  void join() { m_thread.join(); }
  std::optional<Failure> failure;

private:
  std::unique_ptr<TcpListener> m_listener;
  TlsServer m_server;
  Background m_thread;
};

void echo_once(Stream& stream) {
  std::vector<std::uint8_t> buffer(4);
  stream.read_exact(buffer, soon());
  stream.write_all(bytes_of("pong"), soon());
  stream.shutdown_write(soon());
}

TlsConnector client_for(const std::string& pin, std::string ca_pem = {}) {
  return TlsConnector(std::make_shared<TcpConnector>(), TlsClientConfig{pin, std::move(ca_pem)});
}

// Expects connect to fail; returns the failure.
Failure connect_failure(TlsConnector& client, const Endpoint& where, Deadline deadline = soon()) {
  try {
    client.connect(where, deadline);
  } catch (const TransportError& e) {
    return e.failure();
  }
  FAIL("the connection should have failed");
  return {};
}

// A stream that forwards to another and counts the bytes: proves TLS goes
// through the Stream interface (as it must over SOCKS/HTTP tunnels).
class CountingStream final : public Stream {
public:
  explicit CountingStream(std::unique_ptr<Stream> inner) : m_inner(std::move(inner)) {}
  void write_all(ByteSpan data, Deadline deadline) override {
    written += data.size();
    m_inner->write_all(data, deadline);
  }
  std::size_t read_some(MutableSpan buffer, Deadline deadline) override {
    std::size_t got = m_inner->read_some(buffer, deadline);
    read += got;
    return got;
  }
  void shutdown_write(Deadline deadline) override { m_inner->shutdown_write(deadline); }
  void abort() noexcept override { m_inner->abort(); }
  int native_handle() const noexcept override { return -1; } // no fd for TLS to cheat with
  std::size_t written = 0;
  std::size_t read = 0;

private:
  std::unique_ptr<Stream> m_inner;
};

// A plain OpenSSL client (not ours), for offering what ours never would.
bool raw_client_handshake(const Endpoint& where, int max_version, const std::string& alpn) {
  TcpConnector tcp;
  auto socket = tcp.connect(where, soon());
  int fd = socket->native_handle();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL* ssl = SSL_new(ctx);
  if (!alpn.empty()) {
    std::string wire = static_cast<char>(alpn.size()) + alpn;
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  SSL_set_fd(ssl, fd);
  bool ok = SSL_connect(ssl) == 1;
  if (ok) { // TLS 1.3: the server's verdict on ALPN may come after our Finished
    char byte;
    ok = SSL_read(ssl, &byte, 1) > 0;
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return ok;
}

} // namespace

TEST_SUITE_BEGIN("transport::Tls");

TEST_CASE("given a server with the pinned identity when a client connects then data round-trips "
          "over TLS 1.3") {
  DataCentre dc;
  OneShotServer server(dc.server_config(), echo_once);
  TlsConnector client = client_for(dc.pin());
  auto stream = client.connect(server.endpoint(), soon());
  stream->write_all(bytes_of("ping"), soon());
  std::vector<std::uint8_t> buffer(4);
  stream->read_exact(buffer, soon());
  CHECK(text_of(buffer) == "pong");
  CHECK(stream->read_some(buffer, soon()) == 0); // close_notify
  CHECK(dynamic_cast<TlsStream&>(*stream).verified_identity() == dc.pin());
  server.join();
  CHECK_FALSE(server.failure);
}

TEST_CASE("given the pin typed with colons in upper case, or the CA PEM alone, when connecting "
          "then the client trusts the server") {
  DataCentre dc;
  std::string typed = "SHA256:";
  std::string hex = dc.pin().substr(7);
  for (std::size_t i = 0; i < hex.size(); i += 2)
    typed += (i ? ":" : "") + std::string(1, static_cast<char>(std::toupper(hex[i]))) +
             static_cast<char>(std::toupper(hex[i + 1]));
  {
    OneShotServer server(dc.server_config(), echo_once);
    TlsConnector client = client_for(typed);
    CHECK(client.pin() == dc.pin());
    CHECK_NOTHROW(client.connect(server.endpoint(), soon()));
  }
  {
    OneShotServer server(dc.server_config(), echo_once);
    TlsConnector client = client_for("", dc.ca.cert_pem);
    CHECK_NOTHROW(client.connect(server.endpoint(), soon()));
  }
}

TEST_CASE("given TLS over a wrapper stream without a file descriptor when transferring a large "
          "payload both ways then every byte goes through the inner Stream") {
  DataCentre dc;
  std::vector<std::uint8_t> payload(3 * 1024 * 1024 + 17);
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<std::uint8_t>(i * 7 + 3);
  OneShotServer server(dc.server_config(), [&](Stream& stream) {
    std::vector<std::uint8_t> got(payload.size());
    stream.read_exact(got, soon());
    stream.write_all(got, soon());
  });
  TlsConnector client = client_for(dc.pin());
  TcpConnector tcp;
  auto counting = std::make_unique<CountingStream>(tcp.connect(server.endpoint(), soon()));
  CountingStream* counter = counting.get();
  auto stream = client.handshake(std::move(counting), server.endpoint(), soon());
  stream->write_all(payload, soon());
  std::vector<std::uint8_t> back(payload.size());
  stream->read_exact(back, soon());
  CHECK(back == payload);
  CHECK(counter->written > payload.size()); // ciphertext plus record overhead
  CHECK(counter->read > payload.size());
}

TEST_CASE("given a server of another data centre when the client pinned ours connects then it "
          "is refused as intercepted, naming both fingerprints") {
  DataCentre ours;
  DataCentre theirs; // e.g. a TLS-inspecting proxy's own CA
  OneShotServer server(theirs.server_config(), echo_once);
  TlsConnector client = client_for(ours.pin());
  Failure failure = connect_failure(client, server.endpoint());
  CHECK(failure.kind == FailureKind::tls_intercepted);
  CHECK(failure.step == "tls handshake");
  CHECK(failure.detail.find(theirs.pin()) != std::string::npos);
  CHECK(failure.detail.find(ours.pin()) != std::string::npos);
  CHECK(failure.detail.find("exempt the data-centre subnets") != std::string::npos);
  server.join();
  REQUIRE(server.failure);
  CHECK(server.failure->kind == FailureKind::tls_untrusted); // the client refused the server
}

TEST_CASE("given a client configured with our CA certificate when another data centre answers "
          "then it is refused as intercepted too") {
  DataCentre ours;
  DataCentre theirs;
  OneShotServer server(theirs.server_config(), echo_once);
  TlsConnector client = client_for("", ours.ca.cert_pem);
  Failure failure = connect_failure(client, server.endpoint());
  CHECK(failure.kind == FailureKind::tls_intercepted);
  CHECK(failure.detail.find(theirs.pin()) != std::string::npos);
  CHECK(failure.detail.find(ours.pin()) != std::string::npos);
}

TEST_CASE("given a forger that presents our public CA certificate with its own leaf when the "
          "client connects then the leaf fails verification as intercepted") {
  DataCentre ours;
  DataCentre forger;
  TlsServerConfig forged{forger.leaf.key_pem, forger.leaf.cert_pem + ours.ca.cert_pem};
  OneShotServer server(forged, echo_once);
  TlsConnector client = client_for(ours.pin());
  Failure failure = connect_failure(client, server.endpoint());
  CHECK(failure.kind == FailureKind::tls_intercepted);
  CHECK(failure.detail.find("not signed by it") != std::string::npos);
}

TEST_CASE("given a server certificate for other addresses when the client dials this one then "
          "the SAN IP mismatch is refused as untrusted") {
  DataCentre dc({"127.0.0.2", "127.239.112.10"});
  OneShotServer server(dc.server_config(), echo_once);
  TlsConnector client = client_for(dc.pin());
  Failure failure = connect_failure(client, server.endpoint()); // 127.0.0.1
  CHECK(failure.kind == FailureKind::tls_untrusted);
  CHECK(failure.detail.find("127.0.0.2, 127.239.112.10") != std::string::npos);
  CHECK(failure.detail.find("not for 127.0.0.1") != std::string::npos);
}

TEST_CASE("given a certificate listing several addresses including this one when connecting "
          "then the client accepts it") {
  DataCentre dc({"127.239.112.10", "::1", "127.0.0.1"});
  OneShotServer server(dc.server_config(), echo_once);
  TlsConnector client = client_for(dc.pin());
  CHECK_NOTHROW(client.connect(server.endpoint(), soon()));
}

TEST_CASE("given a TLS 1.2-only client when it connects then the server refuses the version") {
  DataCentre dc;
  OneShotServer server(dc.server_config(), echo_once);
  CHECK_FALSE(raw_client_handshake(server.endpoint(), TLS1_2_VERSION, "offsite/1"));
  server.join();
  REQUIRE(server.failure);
  CHECK(server.failure->kind == FailureKind::protocol);
  CHECK(server.failure->detail.find("TLS 1.3") != std::string::npos);
}

TEST_CASE("given a TLS 1.3 client asking for another protocol or none when it connects then the "
          "server refuses it") {
  DataCentre dc;
  {
    OneShotServer server(dc.server_config(), echo_once);
    CHECK_FALSE(raw_client_handshake(server.endpoint(), TLS1_3_VERSION, "http/1.1"));
    server.join();
    REQUIRE(server.failure);
    CHECK(server.failure->kind == FailureKind::protocol);
  }
  {
    OneShotServer server(dc.server_config(), echo_once);
    CHECK_FALSE(raw_client_handshake(server.endpoint(), TLS1_3_VERSION, ""));
    server.join();
    REQUIRE(server.failure);
    CHECK(server.failure->kind == FailureKind::protocol);
    CHECK(server.failure->detail.find("offsite/1") != std::string::npos);
  }
  { // control: the same raw client with the right ALPN gets through
    OneShotServer server(dc.server_config(), [](Stream& s) { s.write_all(bytes_of("x"), soon()); });
    CHECK(raw_client_handshake(server.endpoint(), TLS1_3_VERSION, "offsite/1"));
  }
}

TEST_CASE("given something that does not speak TLS on the port when connecting then the client "
          "reports a protocol failure") {
  auto listener = listen_loopback();
  Background plain([&] {
    auto stream = listener->accept(soon());
    if (!stream) return;
    std::vector<std::uint8_t> buffer(64);
    stream->read_some(buffer, soon());
    stream->write_all(bytes_of("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"), soon());
  });
  DataCentre dc;
  TlsConnector client = client_for(dc.pin());
  Failure failure = connect_failure(client, listener->local_endpoint());
  CHECK(failure.kind == FailureKind::protocol);
  CHECK(failure.detail.find("did not answer with TLS") != std::string::npos);
}

TEST_CASE("given a server that never answers the handshake when connecting then the deadline "
          "gives a timeout in the TLS step") {
  auto listener = listen_loopback();
  DataCentre dc;
  TlsConnector client = client_for(dc.pin());
  Failure failure = connect_failure(client, listener->local_endpoint(), Deadline::after(200ms));
  CHECK(failure.kind == FailureKind::timeout);
  CHECK(failure.step == "tls handshake");
}

TEST_CASE("given a server that hangs up during the handshake when connecting then it is a reset") {
  auto listener = listen_loopback();
  Background closer([&] {
    auto stream = listener->accept(soon());
    if (!stream) return;
    std::vector<std::uint8_t> buffer(64);
    stream->read_some(buffer, soon());
  }); // closes
  DataCentre dc;
  TlsConnector client = client_for(dc.pin());
  Failure failure = connect_failure(client, listener->local_endpoint());
  CHECK(failure.kind == FailureKind::reset);
}

TEST_CASE("given a bad pin or a CA that does not match it when configuring then the client "
          "refuses to start") {
  DataCentre dc;
  DataCentre other;
  CHECK_THROWS_AS(client_for("sha256:1234"), TransportError);
  CHECK_THROWS_AS(client_for(""), TransportError);
  try {
    client_for(other.pin(), dc.ca.cert_pem);
    FAIL("a mismatching CA must be refused");
  } catch (const TransportError& e) {
    CHECK(e.failure().detail.find(other.pin()) != std::string::npos);
  }
  CHECK_THROWS_AS(TlsServer(TlsServerConfig{other.leaf.key_pem, dc.leaf.chain_pem(dc.ca)}),
                  TransportError);
}

TEST_CASE("given a host name as destination when handshaking then the client refuses (SAN IPs "
          "only)") {
  DataCentre dc;
  OneShotServer server(dc.server_config(), echo_once);
  TlsConnector client = client_for(dc.pin());
  TcpConnector tcp;
  auto socket = tcp.connect(server.endpoint(), soon());
  CHECK_THROWS_AS(client.handshake(std::move(socket), Endpoint{"localhost", 1}, soon()),
                  TransportError);
}

TEST_SUITE_END();
