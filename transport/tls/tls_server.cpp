#include <fmt/format.h>

#include "transport/tls/tls_internal.hpp"

namespace offsite::transport {

namespace {
constexpr const char* k_server_config_step = "tls config";
constexpr const char* k_handshake = "tls handshake";
} // namespace

struct TlsServer::Context {
  detail::SslCtxPtr ctx;

  // Only offsite/1: a client asking for anything else gets a fatal
  // no_application_protocol alert instead of a session.
  static int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                         const unsigned char* in, unsigned int in_length, void*) {
    unsigned int at = 0;
    while (at < in_length) {
      unsigned int length = in[at];
      if (at + 1 + length > in_length) break;
      std::string_view offered(reinterpret_cast<const char*>(in + at + 1), length);
      if (offered == k_alpn_protocol) {
        *out = in + at + 1;
        *out_length = static_cast<unsigned char>(length);
        return SSL_TLSEXT_ERR_OK;
      }
      at += 1 + length;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
};

TlsServer::TlsServer(const TlsServerConfig& config) : m_context(std::make_unique<Context>()) {
  auto key = detail::read_private_key(config.key_pem, "server private key");
  auto chain = detail::read_certificates(config.cert_chain_pem, "server certificate chain");
  m_context->ctx.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = m_context->ctx.get();
  if (!ctx)
    throw TransportError(FailureKind::other, k_server_config_step, detail::openssl_errors());
  configure_common(ctx);
  bool ok = SSL_CTX_use_certificate(ctx, chain.front().get()) == 1;
  for (std::size_t i = 1; ok && i < chain.size(); ++i)
    ok = SSL_CTX_add1_chain_cert(ctx, chain[i].get()) == 1;
  ok = ok && SSL_CTX_use_PrivateKey(ctx, key.get()) == 1;
  if (!ok || SSL_CTX_check_private_key(ctx) != 1) {
    throw TransportError(FailureKind::other, k_server_config_step,
                         fmt::format("the server key and certificate do not fit together: {}",
                                     detail::openssl_errors()));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr); // clients prove themselves with accounts
  SSL_CTX_set_alpn_select_cb(ctx, &Context::select_alpn, nullptr);
}

TlsServer::~TlsServer() = default;

std::unique_ptr<TlsStream> TlsServer::accept(std::unique_ptr<Stream> inner,
                                             Deadline deadline) const {
  auto impl = new_tls_session(m_context->ctx.get(), std::move(inner));
  impl->arm(deadline);
  int result = SSL_accept(impl->ssl.get());
  if (result != 1) impl->fail(result, k_handshake, "client");
  const unsigned char* selected = nullptr;
  unsigned int selected_length = 0;
  SSL_get0_alpn_selected(impl->ssl.get(), &selected, &selected_length);
  if (std::string_view(reinterpret_cast<const char*>(selected), selected_length) !=
      k_alpn_protocol) {
    throw TransportError(
        FailureKind::protocol, k_handshake,
        fmt::format("the client did not ask for the offsite protocol {}", k_alpn_protocol));
  }
  return std::make_unique<TlsStream>(std::move(impl));
}

} // namespace offsite::transport
