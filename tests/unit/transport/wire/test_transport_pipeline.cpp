#include <doctest/doctest.h>

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/unit/test_transport_helpers.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/tls/identity.hpp"
#include "transport/tls/tls.hpp"
#include "transport/wire/frame.hpp"
#include "transport/wire/frame_pipeline.hpp"

using namespace offsite::transport;
using namespace offsite::transport::test;
using namespace std::chrono_literals;

namespace {

// An OpenSSL server that is not ours: like most TLS 1.3 servers (Python's,
// nginx's) it sends session tickets right after the handshake, before the
// client has asked anything. It answers one request frame with reply_ok.
class TicketingServer {
public:
  TicketingServer(const std::string& key_pem, const std::string& chain_pem)
      : m_listener(listen_loopback()), m_ctx(SSL_CTX_new(TLS_server_method())) {
    SSL_CTX_set_min_proto_version(m_ctx, TLS1_3_VERSION);
    SSL_CTX_set_num_tickets(m_ctx, 2);
    load(key_pem, chain_pem);
    SSL_CTX_set_alpn_select_cb(
        m_ctx,
        [](SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
           unsigned int in_length, void*) {
          return SSL_select_next_proto(const_cast<unsigned char**>(out), out_length, in, in_length,
                                       in, in_length) == OPENSSL_NPN_NEGOTIATED
                     ? SSL_TLSEXT_ERR_OK
                     : SSL_TLSEXT_ERR_ALERT_FATAL;
        },
        nullptr);
    m_thread = std::make_unique<Background>([this] { serve(); });
  }
  ~TicketingServer() {
    m_thread.reset();
    SSL_CTX_free(m_ctx);
  }
  Endpoint endpoint() const { return m_listener->local_endpoint(); }

private:
  void load(const std::string& key_pem, const std::string& chain_pem) {
    BIO* chain = BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size()));
    X509* leaf = PEM_read_bio_X509(chain, nullptr, nullptr, nullptr);
    REQUIRE(SSL_CTX_use_certificate(m_ctx, leaf) == 1);
    X509_free(leaf);
    while (X509* extra = PEM_read_bio_X509(chain, nullptr, nullptr, nullptr))
      SSL_CTX_add_extra_chain_cert(m_ctx, extra); // the context owns it now
    ERR_clear_error();
    BIO_free(chain);
    BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    REQUIRE(SSL_CTX_use_PrivateKey(m_ctx, key) == 1);
    EVP_PKEY_free(key);
    BIO_free(key_bio);
  }

  void serve() {
    auto tcp = m_listener->accept(soon());
    if (!tcp) return;
    const int fd = tcp->native_handle();
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    SSL* ssl = SSL_new(m_ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      std::uint8_t head[k_frame_head_size];
      if (SSL_read(ssl, head, sizeof head) == static_cast<int>(sizeof head)) {
        const std::uint32_t length =
            (std::uint32_t{head[0]} << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
        std::vector<std::uint8_t> rest(length + 4 - sizeof head);
        std::size_t got = 0;
        while (got < rest.size()) {
          const int n = SSL_read(ssl, rest.data() + got, static_cast<int>(rest.size() - got));
          if (n <= 0) break;
          got += static_cast<std::size_t>(n);
        }
        const std::uint32_t id =
            (std::uint32_t{head[6]} << 24) | (head[7] << 16) | (head[8] << 8) | head[9];
        const auto reply = encode_frame(make_reply_ok(id, {{"server", "ticketing"}}));
        SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
        char byte;
        SSL_read(ssl, &byte, 1); // until the client closes
      }
    }
    SSL_free(ssl);
  }

  std::unique_ptr<TcpListener> m_listener;
  SSL_CTX* m_ctx;
  std::unique_ptr<Background> m_thread;
};

} // namespace

TEST_SUITE_BEGIN("transport::FramePipeline");

TEST_CASE("given a TLS server that sends session tickets before any request when the first "
          "request comes later then it is written and answered at once") {
  const CaIdentity ca = generate_ca();
  const ServerCertificate leaf = issue_server_cert(ca, {"127.0.0.1"});
  TicketingServer server(leaf.key_pem, leaf.chain_pem(ca));
  TlsConnector client(std::make_shared<TcpConnector>(),
                      TlsClientConfig{fingerprint(ca.cert_pem), {}});
  PipelineOptions options;
  options.idle_timeout = 3s; // the old behaviour: stuck reading the tickets until this passed
  FramePipeline pipeline(client.connect(server.endpoint(), soon()), options);
  std::this_thread::sleep_for(300ms); // the tickets arrive while nothing is owed

  const Frame reply = pipeline.call(Op::hello, {{"client", "test"}});
  CHECK(reply.op == Op::reply_ok);
  CHECK(reply.header.value("server", "") == "ticketing");
  CHECK_FALSE(pipeline.failed());
}

TEST_SUITE_END();
