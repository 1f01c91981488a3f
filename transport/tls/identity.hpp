#pragma once
// The data centre's identity (created once by `offsited init`): one CA key
// and self-signed CA certificate, and per server a leaf certificate whose
// subjectAltName lists the IP addresses it listens on. Clients pin the CA
// (by its fingerprint), so every server of the data centre, and any address
// added later, is verified against one identity without the client changing.
//
// Keys are EC P-256 (universally supported by TLS 1.3 stacks, and SAN-IP
// verification is independent of key type). Everything is PEM text in and
// out: the server decides where and how (0600) to store it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offsite::transport {

struct CaIdentity {
  std::string key_pem;  // PKCS#8 private key, unencrypted: store it 0600
  std::string cert_pem; // self-signed, CN "offsite data centre <random>", 20 years
};

struct ServerCertificate {
  std::string key_pem;
  std::string cert_pem; // leaf only; a server presents leaf + CA (chain_pem)

  // What TlsServer loads: this leaf followed by the CA certificate.
  std::string chain_pem(const CaIdentity& ca) const { return cert_pem + ca.cert_pem; }
};

// A fresh CA: basicConstraints CA:TRUE (critical, pathlen 0), keyUsage
// keyCertSign+cRLSign (critical), subjectKeyIdentifier.
CaIdentity generate_ca();

// A leaf for `ips` (IPv4/IPv6 literals, at least one): SAN IP entries,
// serverAuth EKU, digitalSignature, 2 years, signed by `ca`. Throws
// TransportError (step "identity") for a bad IP or unusable CA PEM.
ServerCertificate issue_server_cert(const CaIdentity& ca, const std::vector<std::string>& ips);

// "sha256:<64 lower-case hex>" over the certificate's DER encoding; what
// `offsited fingerprint` prints and what clients pin.
std::string fingerprint(std::string_view cert_pem);

// A pin as a user may type it: "sha256:AB:CD:..." or "SHA256:abcd..." (case
// and colons as `openssl x509 -fingerprint -sha256` prints) -> canonical
// "sha256:<hex>"; nullopt when it is not 32 bytes of hex after "sha256:".
std::optional<std::string> normalize_fingerprint(std::string_view text);

// The SAN IP addresses of a certificate, canonical text (lets the server
// see whether its leaf covers the addresses it now listens on).
std::vector<std::string> certificate_ips(std::string_view cert_pem);

// The certificate's notAfter.
std::chrono::system_clock::time_point certificate_expiry(std::string_view cert_pem);

} // namespace offsite::transport
