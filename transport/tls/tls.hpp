#pragma once
// TLS 1.3 on top of any Stream (TCP, or a tunnel through a SOCKS or HTTP
// proxy): the session reads and writes through a custom BIO over the inner
// Stream, never through a file descriptor of its own.
//
// Trust model: the client trusts exactly one data-centre CA, pinned by the
// SHA-256 fingerprint of its DER certificate ("sha256:<hex>", what users
// type) and optionally given in full as PEM. Never the system trust store.
// The server presents leaf + CA; the client picks the CA out of the
// presented chain by fingerprint (or uses its configured PEM), verifies the
// leaf against that one certificate alone, and requires a subjectAltName IP
// equal to the address it dialled. A chain without the pinned CA is what a
// TLS-inspecting proxy presents: that failure is tls_intercepted and names
// both fingerprints. Both sides insist on ALPN "offsite/1".

#include <memory>
#include <string>
#include <string_view>

#include "transport/net/connector.hpp"
#include "transport/net/stream.hpp"

namespace offsite::transport {

inline constexpr std::string_view k_alpn_protocol = "offsite/1";

class TlsStream final : public Stream {
public:
  struct Impl;
  explicit TlsStream(std::unique_ptr<Impl> impl);
  ~TlsStream() override;

  // Failures keep the inner layer's kind (timeout, reset) or are protocol
  // for TLS-level errors (bad record, unexpected message).
  void write_all(ByteSpan data, Deadline deadline) override;
  // Returns 0 when the peer sent close_notify or closed the connection.
  std::size_t read_some(MutableSpan buffer, Deadline deadline) override;
  // Processes the records that have arrived; nullopt when none carried
  // application data (a session ticket, a key update).
  std::optional<std::size_t> read_available(MutableSpan buffer) override;
  // Sends close_notify, then closes the inner stream's sending side.
  void shutdown_write(Deadline deadline) override;
  // Aborts the inner stream (thread-safe); the TLS session is then dead.
  void abort() noexcept override;
  int native_handle() const noexcept override;
  bool has_buffered_input() const noexcept override;

  // Client side: the fingerprint of the CA the server was verified against.
  const std::string& verified_identity() const;

private:
  std::unique_ptr<Impl> m_impl;
};

struct TlsClientConfig {
  // "sha256:<hex>" (any form normalize_fingerprint accepts). May be empty
  // when ca_pem is given; then the pin is ca_pem's fingerprint.
  std::string pin;
  // The pinned CA certificate itself, when known (from registration or a
  // file). Must match `pin` when both are given.
  std::string ca_pem;
};

class TlsConnector final : public Connector {
public:
  // Throws TransportError (step "tls config") for a malformed pin, a bad
  // PEM, or a PEM that does not match the pin.
  TlsConnector(std::shared_ptr<Connector> inner, TlsClientConfig config);
  ~TlsConnector() override;

  // inner->connect(destination), then handshake(). `destination.host` must
  // be an IP literal: it is what the certificate's SAN is checked against.
  std::unique_ptr<Stream> connect(const Endpoint& destination, Deadline deadline) override;

  // TLS client handshake over an already-connected stream. Failures (step
  // "tls handshake"): tls_intercepted (pinned CA absent from the chain, or
  // the leaf not signed by it), tls_untrusted (SAN IP mismatch, expired,
  // other verification errors; the server refused us), protocol (no TLS 1.3,
  // no offsite/1, not TLS at all), and the inner stream's timeout/reset.
  std::unique_ptr<TlsStream> handshake(std::unique_ptr<Stream> inner, const Endpoint& destination,
                                       Deadline deadline) const;

  const std::string& pin() const;

private:
  struct Context;
  std::shared_ptr<Connector> m_inner;
  std::unique_ptr<Context> m_context;
};

struct TlsServerConfig {
  std::string key_pem;        // the leaf's private key
  std::string cert_chain_pem; // leaf first, then the CA (ServerCertificate::chain_pem)
};

class TlsServer {
public:
  // Throws TransportError (step "tls config") for bad PEM or a key that
  // does not match the leaf.
  explicit TlsServer(const TlsServerConfig& config);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  // Server handshake over an accepted stream; TLS 1.3 and ALPN offsite/1 or
  // a protocol failure. Thread-safe: one TlsServer serves every connection.
  std::unique_ptr<TlsStream> accept(std::unique_ptr<Stream> inner, Deadline deadline) const;

private:
  struct Context;
  std::unique_ptr<Context> m_context;
};

} // namespace offsite::transport
