#include <openssl/err.h>

#include <optional>

#include <fmt/format.h>

#include "transport/tls/identity.hpp"
#include "transport/tls/tls_internal.hpp"

namespace offsite::transport {

namespace {

constexpr const char* k_client_handshake_step = "tls handshake";
constexpr const char* k_client_config_step = "tls config";

// Per-connection facts the verify callback needs and what it found.
struct HandshakeCheck {
  std::string dialled_ip;
  std::optional<Failure> failure;
  bool verified = false;
};

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "no IP address" : text;
}

std::string intercepted_text(const std::string& presented, const std::string& pin) {
  return fmt::format("the server's identity {} does not match the pinned {}: a TLS-inspecting "
                     "proxy or a wrong server; exempt the data-centre subnets from TLS inspection",
                     presented, pin);
}

} // namespace

struct TlsConnector::Context {
  detail::SslCtxPtr ctx;
  std::string pin;
  detail::X509Ptr ca; // the configured CA certificate, if any

  // Replaces OpenSSL's chain building: trust exactly the pinned CA (from
  // the configuration, or found by fingerprint in the presented chain), and
  // require the dialled IP in the leaf's subjectAltName.
  static int verify(X509_STORE_CTX* store_ctx, void* arg) {
    const auto* self = static_cast<const Context*>(arg);
    auto* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* check = static_cast<HandshakeCheck*>(SSL_get_app_data(ssl));
    auto reject = [&](FailureKind kind, std::string detail, int x509_error) {
      check->failure = Failure{kind, k_client_handshake_step, std::move(detail)};
      X509_STORE_CTX_set_error(store_ctx, x509_error);
      return 0;
    };
    try {
      X509* leaf = X509_STORE_CTX_get0_cert(store_ctx);
      STACK_OF(X509)* chain = X509_STORE_CTX_get0_untrusted(store_ctx);
      if (!leaf) {
        return reject(FailureKind::protocol, "the server presented no certificate",
                      X509_V_ERR_UNSPECIFIED);
      }
      int presented = chain ? sk_X509_num(chain) : 0;
      X509* root = presented > 0 ? sk_X509_value(chain, presented - 1) : leaf;
      std::string root_fingerprint = detail::certificate_fingerprint(root);

      X509* anchor = self->ca.get();
      for (int i = 0; !anchor && i < presented; ++i) {
        if (detail::certificate_fingerprint(sk_X509_value(chain, i)) == self->pin)
          anchor = sk_X509_value(chain, i);
      }
      if (!anchor) {
        return reject(FailureKind::tls_intercepted, intercepted_text(root_fingerprint, self->pin),
                      X509_V_ERR_CERT_UNTRUSTED);
      }

      detail::StorePtr store(X509_STORE_new());
      detail::StoreCtxPtr verify_ctx(X509_STORE_CTX_new());
      if (!store || !verify_ctx || X509_STORE_add_cert(store.get(), anchor) != 1 ||
          X509_STORE_CTX_init(verify_ctx.get(), store.get(), leaf, chain) != 1 ||
          X509_STORE_CTX_set_default(verify_ctx.get(), "ssl_server") != 1) {
        return reject(FailureKind::other, detail::openssl_errors(), X509_V_ERR_UNSPECIFIED);
      }
      X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(verify_ctx.get());
      // PARTIAL_CHAIN: the pinned certificate is the anchor even if it is
      // not self-signed (an intermediate, or a pinned leaf).
      X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
      if (X509_VERIFY_PARAM_set1_ip_asc(param, check->dialled_ip.c_str()) != 1) {
        return reject(FailureKind::other,
                      "cannot check the certificate against " + check->dialled_ip,
                      X509_V_ERR_UNSPECIFIED);
      }
      if (X509_verify_cert(verify_ctx.get()) == 1) {
        check->verified = true;
        return 1;
      }
      int error = X509_STORE_CTX_get_error(verify_ctx.get());
      switch (error) {
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return reject(FailureKind::tls_untrusted,
                      fmt::format("the server's certificate is valid for {}, not for {} that we "
                                  "dialled: the data centre has not issued a certificate for this "
                                  "address (restart offsited with it as a --listen address)",
                                  join(detail::certificate_ip_list(leaf)), check->dialled_ip),
                      error);
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        if (root_fingerprint == self->pin) {
          return reject(FailureKind::tls_intercepted,
                        fmt::format("the server presented the pinned identity {} but its own "
                                    "certificate is not signed by it: a TLS-inspecting proxy or "
                                    "a forged server; exempt the data-centre subnets from TLS "
                                    "inspection",
                                    self->pin),
                        error);
        }
        return reject(FailureKind::tls_intercepted, intercepted_text(root_fingerprint, self->pin),
                      error);
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return reject(
            FailureKind::tls_untrusted,
            fmt::format("the server's certificate {}: check this machine's clock, or "
                        "ask the data centre to renew its certificate",
                        error == X509_V_ERR_CERT_HAS_EXPIRED ? "has expired" : "is not valid yet"),
            error);
      default:
        return reject(FailureKind::tls_untrusted,
                      fmt::format("the server's certificate did not verify against the pinned "
                                  "identity {}: {}",
                                  self->pin, X509_verify_cert_error_string(error)),
                      error);
      }
    } catch (const std::exception& e) { // never throw through OpenSSL
      return reject(FailureKind::other, e.what(), X509_V_ERR_UNSPECIFIED);
    }
  }
};

TlsConnector::TlsConnector(std::shared_ptr<Connector> inner, TlsClientConfig config)
    : m_inner(std::move(inner)), m_context(std::make_unique<Context>()) {
  if (!config.ca_pem.empty()) {
    m_context->ca = detail::read_certificate(config.ca_pem, "CA certificate");
    m_context->pin = detail::certificate_fingerprint(m_context->ca.get());
  }
  if (!config.pin.empty()) {
    auto pin = normalize_fingerprint(config.pin);
    if (!pin) {
      throw TransportError(FailureKind::other, k_client_config_step,
                           fmt::format("\"{}\" is not a fingerprint: expected sha256: followed by "
                                       "64 hexadecimal digits",
                                       config.pin));
    }
    if (m_context->ca && *pin != m_context->pin) {
      throw TransportError(FailureKind::other, k_client_config_step,
                           fmt::format("the configured CA certificate has the fingerprint {}, "
                                       "not the pinned {}",
                                       m_context->pin, *pin));
    }
    m_context->pin = *pin;
  }
  if (m_context->pin.empty()) {
    throw TransportError(FailureKind::other, k_client_config_step,
                         "no data-centre identity to pin: give its fingerprint (sha256:...)");
  }
  m_context->ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!m_context->ctx)
    throw TransportError(FailureKind::other, k_client_config_step, detail::openssl_errors());
  configure_common(m_context->ctx.get());
  // Verification is entirely ours: no default verify paths, an empty store.
  SSL_CTX_set_verify(m_context->ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_cert_verify_callback(m_context->ctx.get(), &Context::verify, m_context.get());
}

TlsConnector::~TlsConnector() = default;

const std::string& TlsConnector::pin() const { return m_context->pin; }

std::unique_ptr<Stream> TlsConnector::connect(const Endpoint& destination, Deadline deadline) {
  auto inner = m_inner->connect(destination, deadline);
  return handshake(std::move(inner), destination, deadline);
}

std::unique_ptr<TlsStream> TlsConnector::handshake(std::unique_ptr<Stream> inner,
                                                   const Endpoint& destination,
                                                   Deadline deadline) const {
  auto ip = IpAddress::parse(destination.host);
  if (!ip) {
    throw TransportError(FailureKind::other, k_client_handshake_step,
                         fmt::format("{} is not an IP address: the server's certificate is "
                                     "checked against the IP address dialled",
                                     destination.host));
  }
  auto impl = new_tls_session(m_context->ctx.get(), std::move(inner));
  SSL* ssl = impl->ssl.get();
  std::string alpn_wire = static_cast<char>(k_alpn_protocol.size()) + std::string(k_alpn_protocol);
  if (SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn_wire.data()),
                          static_cast<unsigned int>(alpn_wire.size())) != 0) {
    throw TransportError(FailureKind::other, k_client_handshake_step, detail::openssl_errors());
  }
  HandshakeCheck check{ip->to_string(), std::nullopt, false};
  SSL_set_app_data(ssl, &check);
  impl->arm(deadline);
  int result = SSL_connect(ssl);
  SSL_set_app_data(ssl, nullptr);
  if (result != 1) {
    if (check.failure) {
      ERR_clear_error();
      throw TransportError(*check.failure);
    }
    impl->fail(result, k_client_handshake_step, "server");
  }
  const unsigned char* selected = nullptr;
  unsigned int selected_length = 0;
  SSL_get0_alpn_selected(ssl, &selected, &selected_length);
  if (!check.verified || std::string_view(reinterpret_cast<const char*>(selected),
                                          selected_length) != k_alpn_protocol) {
    throw TransportError(FailureKind::protocol, k_client_handshake_step,
                         fmt::format("the server did not agree to speak {}", k_alpn_protocol));
  }
  impl->verified_identity = m_context->pin;
  return std::make_unique<TlsStream>(std::move(impl));
}

} // namespace offsite::transport
