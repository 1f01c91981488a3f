#pragma once
// Internal to transport/: the TLS session object shared by client and server.

#include <exception>
#include <memory>
#include <string>

#include "transport/tls/openssl_util.hpp"
#include "transport/tls/tls.hpp"

namespace offsite::transport {

// What the custom BIO needs to move bytes through the inner Stream: the
// deadline of the SSL call in progress, and where to park an exception
// (C callbacks must not throw through OpenSSL).
struct StreamBioState {
  Stream* inner = nullptr;
  Deadline deadline;
  std::exception_ptr error;
  // Set by read_available: the BIO then asks for a retry instead of waiting.
  bool never_wait = false;
};

struct TlsStream::Impl {
  std::unique_ptr<Stream> inner;
  detail::SslPtr ssl;
  StreamBioState bio_state; // the BIO points here: Impl never moves (heap)
  std::string verified_identity;

  // Before every SSL call: arm the deadline, clear stale errors.
  void arm(Deadline deadline);
  // After a failed SSL call returned `result`: rethrows the inner stream's
  // failure under `step`, or throws a Failure classified from OpenSSL's
  // error queue. `peer_role` is "server" or "client" (the other side).
  [[noreturn]] void fail(int result, const char* step, const char* peer_role);
};

// A new session on `ctx` whose reads and writes go through `inner`.
std::unique_ptr<TlsStream::Impl> new_tls_session(SSL_CTX* ctx, std::unique_ptr<Stream> inner);

// Settings both sides share: TLS 1.3 only, no session tickets, read-ahead.
void configure_common(SSL_CTX* ctx);

} // namespace offsite::transport
