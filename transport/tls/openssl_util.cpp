#include "transport/tls/openssl_util.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "transport/net/endpoint.hpp"
#include "transport/net/failure.hpp"

namespace offsite::transport::detail {

namespace {

BioPtr memory_bio(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw TransportError(FailureKind::other, "identity", openssl_errors());
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

[[noreturn]] void bad_pem(std::string_view what) {
  throw TransportError(FailureKind::other, "identity",
                       fmt::format("not a valid PEM {}: {}", what, openssl_errors()));
}

} // namespace

std::string openssl_errors(std::string_view fallback) {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? std::string(fallback) : text;
}

X509Ptr read_certificate(std::string_view pem, std::string_view what) {
  auto bio = memory_bio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) bad_pem(what);
  return cert;
}

std::vector<X509Ptr> read_certificates(std::string_view pem, std::string_view what) {
  auto bio = memory_bio(pem);
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    certs.emplace_back(cert);
  ERR_clear_error(); // the loop ends on a "no start line" error
  if (certs.empty()) bad_pem(what);
  return certs;
}

PkeyPtr read_private_key(std::string_view pem, std::string_view what) {
  auto bio = memory_bio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) bad_pem(what);
  return key;
}

std::string certificate_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    throw TransportError(FailureKind::other, "identity", openssl_errors());
  return drain(bio.get());
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw TransportError(FailureKind::other, "identity", openssl_errors());
  return drain(bio.get());
}

std::string certificate_fingerprint(X509* cert) {
  unsigned char* der = nullptr;
  int length = i2d_X509(cert, &der);
  if (length <= 0) throw TransportError(FailureKind::other, "identity", openssl_errors());
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  int ok = EVP_Digest(der, static_cast<std::size_t>(length), digest.data(), &digest_length,
                      EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) throw TransportError(FailureKind::other, "identity", openssl_errors());
  std::string text = "sha256:";
  for (unsigned int i = 0; i < digest_length; ++i)
    text += fmt::format("{:02x}", digest[i]);
  return text;
}

std::vector<std::string> certificate_ip_list(X509* cert) {
  std::vector<std::string> ips;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return ips;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_IPADD) continue;
    const ASN1_OCTET_STRING* octets = name->d.iPAddress;
    int length = ASN1_STRING_length(octets);
    if (length != 4 && length != 16) continue;
    IpAddress ip;
    ip.family = length == 4 ? IpAddress::Family::v4 : IpAddress::Family::v6;
    std::memcpy(ip.bytes.data(), ASN1_STRING_get0_data(octets), static_cast<std::size_t>(length));
    ips.push_back(ip.to_string());
  }
  GENERAL_NAMES_free(names);
  return ips;
}

} // namespace offsite::transport::detail
