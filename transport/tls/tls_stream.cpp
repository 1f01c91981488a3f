#include <openssl/err.h>

#include <fmt/format.h>

#include "transport/tls/tls_internal.hpp"

namespace offsite::transport {

namespace {

// --- a BIO over a Stream ----------------------------------------------------

StreamBioState& state_of(BIO* bio) { return *static_cast<StreamBioState*>(BIO_get_data(bio)); }

int bio_write(BIO* bio, const char* data, std::size_t length, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  StreamBioState& state = state_of(bio);
  try {
    state.inner->write_all(ByteSpan(reinterpret_cast<const std::uint8_t*>(data), length),
                           state.deadline);
    *written = length;
    return 1;
  } catch (...) {
    state.error = std::current_exception();
    return 0;
  }
}

int bio_read(BIO* bio, char* data, std::size_t length, std::size_t* read) {
  BIO_clear_retry_flags(bio);
  StreamBioState& state = state_of(bio);
  try {
    if (state.never_wait) {
      auto got =
          state.inner->read_available(MutableSpan(reinterpret_cast<std::uint8_t*>(data), length));
      if (!got) {
        BIO_set_retry_read(bio);
        *read = 0;
        return 0;
      }
      *read = *got;
      return *read > 0 ? 1 : 0;
    }
    *read = state.inner->read_some(MutableSpan(reinterpret_cast<std::uint8_t*>(data), length),
                                   state.deadline);
    return *read > 0 ? 1 : 0; // 0 without retry flags = end of stream
  } catch (...) {
    state.error = std::current_exception();
    *read = 0;
    return 0;
  }
}

long bio_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0; // writes are never buffered here
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* stream_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "offsite stream");
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

// --- classifying OpenSSL errors ---------------------------------------------

Failure classify(unsigned long code, const char* step, const char* peer_role) {
  std::string text = detail::openssl_errors("");
  if (ERR_GET_LIB(code) == ERR_LIB_SSL) {
    switch (ERR_GET_REASON(code)) {
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      return {FailureKind::protocol, step,
              fmt::format("the {} does not speak TLS 1.3, the only version offsite accepts ({})",
                          peer_role, text)};
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_RECORD_LENGTH_MISMATCH:
      return {FailureKind::protocol, step,
              fmt::format("the {} did not answer with TLS: something on the way (a proxy?) or "
                          "the service on that port speaks another protocol ({})",
                          peer_role, text)};
    case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
    case SSL_R_NO_APPLICATION_PROTOCOL:
      return {FailureKind::protocol, step,
              fmt::format("the {} does not speak the offsite protocol {} ({})", peer_role,
                          k_alpn_protocol, text)};
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return {FailureKind::tls_untrusted, step,
              fmt::format("the {} refused our certificate ({})", peer_role, text)};
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      return {FailureKind::tls_untrusted, step,
              fmt::format("the {}'s certificate did not verify ({})", peer_role, text)};
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return {FailureKind::reset, step,
              fmt::format("the {} closed the connection during TLS", peer_role)};
    default: break;
    }
  }
  return {
      FailureKind::protocol, step,
      fmt::format("TLS failed with the {}: {}", peer_role, text.empty() ? "unknown error" : text)};
}

} // namespace

void configure_common(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_num_tickets(ctx, 0);                        // no resumption: nothing to store
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF); // frames carry their own lengths
  SSL_CTX_set_read_ahead(ctx, 1);
}

std::unique_ptr<TlsStream::Impl> new_tls_session(SSL_CTX* ctx, std::unique_ptr<Stream> inner) {
  auto impl = std::make_unique<TlsStream::Impl>();
  impl->inner = std::move(inner);
  impl->bio_state.inner = impl->inner.get();
  impl->ssl.reset(SSL_new(ctx));
  BIO* bio = BIO_new(stream_bio_method());
  if (!impl->ssl || !bio) {
    BIO_free(bio);
    throw TransportError(FailureKind::other, "tls handshake", detail::openssl_errors());
  }
  BIO_set_data(bio, &impl->bio_state);
  SSL_set_bio(impl->ssl.get(), bio, bio); // the session owns the BIO
  return impl;
}

void TlsStream::Impl::arm(Deadline deadline) {
  bio_state.deadline = deadline;
  bio_state.error = nullptr;
  ERR_clear_error();
}

void TlsStream::Impl::fail(int result, const char* step, const char* peer_role) {
  if (bio_state.error) {
    try {
      std::rethrow_exception(bio_state.error);
    } catch (const TransportError& e) {
      throw TransportError(e.kind(), step, e.failure().detail);
    }
  }
  int error = SSL_get_error(ssl.get(), result);
  unsigned long code = ERR_peek_error();
  if (code == 0 && (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN)) {
    throw TransportError(FailureKind::reset, step,
                         fmt::format("the {} closed the connection during TLS", peer_role));
  }
  throw TransportError(classify(code, step, peer_role));
}

TlsStream::TlsStream(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

TlsStream::~TlsStream() = default;

void TlsStream::write_all(ByteSpan data, Deadline deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    m_impl->arm(deadline);
    std::size_t written = 0;
    int result = SSL_write_ex(m_impl->ssl.get(), data.data() + done, data.size() - done, &written);
    if (result != 1) m_impl->fail(result, "tls send", "peer");
    done += written;
  }
}

std::size_t TlsStream::read_some(MutableSpan buffer, Deadline deadline) {
  m_impl->arm(deadline);
  std::size_t read = 0;
  int result = SSL_read_ex(m_impl->ssl.get(), buffer.data(), buffer.size(), &read);
  if (result == 1) return read;
  if (!m_impl->bio_state.error && SSL_get_error(m_impl->ssl.get(), result) == SSL_ERROR_ZERO_RETURN)
    return 0;
  m_impl->fail(result, "tls receive", "peer");
}

std::optional<std::size_t> TlsStream::read_available(MutableSpan buffer) {
  m_impl->arm(Deadline::never());
  m_impl->bio_state.never_wait = true;
  std::size_t read = 0;
  const int result = SSL_read_ex(m_impl->ssl.get(), buffer.data(), buffer.size(), &read);
  m_impl->bio_state.never_wait = false;
  if (result == 1) return read;
  if (!m_impl->bio_state.error) {
    const int error = SSL_get_error(m_impl->ssl.get(), result);
    if (error == SSL_ERROR_WANT_READ) return std::nullopt;
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
  }
  m_impl->fail(result, "tls receive", "peer");
}

void TlsStream::shutdown_write(Deadline deadline) {
  m_impl->arm(deadline);
  int result = SSL_shutdown(m_impl->ssl.get()); // 0 = close_notify sent, theirs not yet seen
  if (result < 0) m_impl->fail(result, "tls close", "peer");
  m_impl->inner->shutdown_write(deadline);
}

void TlsStream::abort() noexcept { m_impl->inner->abort(); }

int TlsStream::native_handle() const noexcept { return m_impl->inner->native_handle(); }

bool TlsStream::has_buffered_input() const noexcept {
  return SSL_has_pending(m_impl->ssl.get()) == 1 || m_impl->inner->has_buffered_input();
}

const std::string& TlsStream::verified_identity() const { return m_impl->verified_identity; }

} // namespace offsite::transport
