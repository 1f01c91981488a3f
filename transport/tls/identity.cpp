#include "transport/tls/identity.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "transport/net/endpoint.hpp"
#include "transport/net/failure.hpp"
#include "transport/tls/openssl_util.hpp"

namespace offsite::transport {

namespace {

using namespace detail;

constexpr int k_ca_days = 20 * 365 + 5;
constexpr int k_leaf_days = 2 * 365 + 1;

[[noreturn]] void fail(std::string_view what) {
  throw TransportError(FailureKind::other, "identity",
                       fmt::format("{}: {}", what, openssl_errors()));
}

void check(int ok, std::string_view what) {
  if (ok != 1) fail(what);
}

PkeyPtr generate_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("cannot generate an EC P-256 key");
  return key;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  check(RAND_bytes(buffer.data(), static_cast<int>(bytes)), "no randomness");
  std::string text;
  for (unsigned char byte : buffer)
    text += fmt::format("{:02x}", byte);
  return text;
}

// A certificate with version 3, a random positive 127-bit serial, validity
// from an hour ago (clock skew) for `days`, `subject_cn` and the public key.
X509Ptr new_certificate(EVP_PKEY* key, const std::string& subject_cn, int days) {
  X509Ptr cert(X509_new());
  if (!cert) fail("cannot create a certificate");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial), "no randomness");
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("serial");

  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr))
    fail("validity");

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("offsite"), -1, -1, 0),
        "subject");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(subject_cn.c_str()), -1,
                                   -1, 0),
        "subject");
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (!extension) fail(fmt::format("certificate extension {}", OBJ_nid2sn(nid)));
  int ok = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  check(ok, "X509_add_ext");
}

} // namespace

CaIdentity generate_ca() {
  PkeyPtr key = generate_key();
  X509Ptr cert = new_certificate(key.get(), "offsite data centre " + random_hex(8), k_ca_days);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())), "issuer");
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign the CA certificate");
  return CaIdentity{private_key_pem(key.get()), certificate_pem(cert.get())};
}

ServerCertificate issue_server_cert(const CaIdentity& ca, const std::vector<std::string>& ips) {
  if (ips.empty()) {
    throw TransportError(FailureKind::other, "identity",
                         "a server certificate needs at least one IP address");
  }
  std::string san;
  for (const std::string& text : ips) {
    auto ip = IpAddress::parse(text);
    if (!ip) {
      throw TransportError(
          FailureKind::other, "identity",
          fmt::format("\"{}\" is not an IP address for the server certificate", text));
    }
    if (!san.empty()) san += ",";
    san += "IP:" + ip->to_string(); // canonical text: no commas can sneak into the list
  }
  X509Ptr ca_cert = read_certificate(ca.cert_pem, "CA certificate");
  PkeyPtr ca_key = read_private_key(ca.key_pem, "CA private key");
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    throw TransportError(FailureKind::other, "identity",
                         "the CA private key does not belong to the CA certificate");
  }

  PkeyPtr key = generate_key();
  X509Ptr cert = new_certificate(key.get(), "offsite server " + ips.front(), k_leaf_days);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())), "issuer");
  add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca_cert.get(), NID_subject_alt_name, san);
  add_extension(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0)
    fail("cannot sign the server certificate");
  return ServerCertificate{private_key_pem(key.get()), certificate_pem(cert.get())};
}

std::string fingerprint(std::string_view cert_pem) {
  X509Ptr cert = read_certificate(cert_pem, "certificate");
  return certificate_fingerprint(cert.get());
}

std::optional<std::string> normalize_fingerprint(std::string_view text) {
  constexpr std::string_view k_prefix = "sha256:";
  if (text.size() < k_prefix.size()) return std::nullopt;
  for (std::size_t i = 0; i < k_prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != k_prefix[i]) return std::nullopt;
  }
  std::string hex;
  for (char c : text.substr(k_prefix.size())) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return std::nullopt;
  return std::string(k_prefix) + hex;
}

std::vector<std::string> certificate_ips(std::string_view cert_pem) {
  X509Ptr cert = read_certificate(cert_pem, "certificate");
  return certificate_ip_list(cert.get());
}

std::chrono::system_clock::time_point certificate_expiry(std::string_view cert_pem) {
  X509Ptr cert = read_certificate(cert_pem, "certificate");
  std::tm when{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &when) != 1) fail("notAfter");
  return std::chrono::system_clock::from_time_t(timegm(&when));
}

} // namespace offsite::transport
