#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "transport/net/failure.hpp"
#include "transport/tls/identity.hpp"

using namespace offsite::transport;

namespace {

X509* parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(cert != nullptr);
  return cert;
}

// SHA-256 of the DER computed independently of transport/: base64-decode the
// PEM body.
std::string independent_fingerprint(const std::string& pem) {
  auto begin = pem.find('\n') + 1;
  auto end = pem.find("-----END");
  std::string body;
  for (char c : pem.substr(begin, end - begin))
    if (c != '\n') body += c;
  std::vector<unsigned char> der(body.size());
  int length = EVP_DecodeBlock(der.data(), reinterpret_cast<const unsigned char*>(body.data()),
                               static_cast<int>(body.size()));
  REQUIRE(length > 0);
  auto padding = static_cast<int>(std::count(body.end() - 2, body.end(), '='));
  unsigned char digest[32];
  unsigned int digest_length = 0;
  EVP_Digest(der.data(), static_cast<std::size_t>(length - padding), digest, &digest_length,
             EVP_sha256(), nullptr);
  std::string hex = "sha256:";
  const char* digits = "0123456789abcdef";
  for (unsigned char byte : digest) {
    hex += digits[byte >> 4];
    hex += digits[byte & 15];
  }
  return hex;
}

double years_until(std::chrono::system_clock::time_point when) {
  return std::chrono::duration<double>(when - std::chrono::system_clock::now()).count() /
         (365.25 * 86400);
}

} // namespace

TEST_SUITE_BEGIN("transport::Identity");

TEST_CASE("given a new data-centre CA then it is a 20-year CA certificate with a stable "
          "sha256 fingerprint") {
  CaIdentity ca = generate_ca();
  CHECK(ca.key_pem.find("BEGIN PRIVATE KEY") != std::string::npos);
  X509* cert = parse(ca.cert_pem);
  CHECK(X509_check_ca(cert) == 1);
  CHECK((X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) != 0);
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  CHECK(std::string(cn).rfind("offsite data centre ", 0) == 0);
  X509_free(cert);
  CHECK(years_until(certificate_expiry(ca.cert_pem)) > 19.9);

  std::string print = fingerprint(ca.cert_pem);
  CHECK(print.size() == 7 + 64);
  CHECK(print == independent_fingerprint(ca.cert_pem));
  CHECK(fingerprint(ca.cert_pem) == print);
  CHECK(fingerprint(generate_ca().cert_pem) != print); // every data centre is distinct
}

TEST_CASE("given a CA when issuing a server certificate for several IPs then the SAN lists "
          "exactly them and it is valid for 2 years") {
  CaIdentity ca = generate_ca();
  ServerCertificate leaf =
      issue_server_cert(ca, {"127.239.112.10", "2001:DB8::10", "193.239.113.10"});
  CHECK(certificate_ips(leaf.cert_pem) ==
        std::vector<std::string>{"127.239.112.10", "2001:db8::10", "193.239.113.10"});
  double years = years_until(certificate_expiry(leaf.cert_pem));
  CHECK(years > 1.9);
  CHECK(years < 2.1);
  X509* cert = parse(leaf.cert_pem);
  X509* ca_cert = parse(ca.cert_pem);
  CHECK(X509_check_ca(cert) == 0);
  CHECK(X509_check_issued(ca_cert, cert) == X509_V_OK);
  CHECK((X509_get_extended_key_usage(cert) & XKU_SSL_SERVER) != 0);
  X509_free(cert);
  X509_free(ca_cert);
  CHECK(leaf.chain_pem(ca) == leaf.cert_pem + ca.cert_pem);
}

TEST_CASE("given bad input when issuing a certificate then it is refused with the reason") {
  CaIdentity ca = generate_ca();
  CHECK_THROWS_AS(issue_server_cert(ca, {}), TransportError);
  try {
    issue_server_cert(ca, {"127.0.0.1", "1.2.3.4,IP:6.6.6.6"});
    FAIL("a bad IP must be refused");
  } catch (const TransportError& e) {
    CHECK(std::string(e.what()).find("not an IP address") != std::string::npos);
  }
  CaIdentity other = generate_ca();
  CaIdentity mixed{other.key_pem, ca.cert_pem};
  CHECK_THROWS_AS(issue_server_cert(mixed, {"127.0.0.1"}), TransportError);
  CHECK_THROWS_AS(fingerprint("not a certificate"), TransportError);
}

TEST_CASE("given fingerprints as users type them when normalized then they become canonical") {
  std::string hex(64, 'a');
  CHECK(normalize_fingerprint("sha256:" + hex) == "sha256:" + hex);
  std::string colons = "SHA256:";
  for (int i = 0; i < 32; ++i)
    colons += i ? ":AA" : "AA";
  CHECK(normalize_fingerprint(colons) == "sha256:" + hex);
  CHECK_FALSE(normalize_fingerprint(hex));                             // no prefix
  CHECK_FALSE(normalize_fingerprint("sha256:" + hex.substr(1)));       // 63 digits
  CHECK_FALSE(normalize_fingerprint("sha256:" + hex + "a"));           // 65 digits
  CHECK_FALSE(normalize_fingerprint("sha256:" + hex.substr(1) + "g")); // not hex
  CHECK_FALSE(normalize_fingerprint("md5:" + hex));
}

TEST_SUITE_END();
