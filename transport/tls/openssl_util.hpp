#pragma once
// Internal to transport/: RAII owners for OpenSSL objects and PEM helpers.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace offsite::transport::detail {

template <auto Free> struct OpenSslDeleter {
  template <class T> void operator()(T* p) const noexcept { Free(p); }
};

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL_free>>;
using StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;

// The OpenSSL error queue as one line (and cleared), or `fallback`.
std::string openssl_errors(std::string_view fallback = "unknown OpenSSL error");

// PEM text <-> objects. Reading throws TransportError (kind other, step
// "identity") naming `what` when the text holds no valid object.
X509Ptr read_certificate(std::string_view pem, std::string_view what);
std::vector<X509Ptr> read_certificates(std::string_view pem, std::string_view what);
PkeyPtr read_private_key(std::string_view pem, std::string_view what);
std::string certificate_pem(X509* cert);
std::string private_key_pem(EVP_PKEY* key);

// The subjectAltName IP addresses of `cert`, canonical text.
std::vector<std::string> certificate_ip_list(X509* cert);

// "sha256:<lower-case hex of SHA-256 over the DER encoding>".
std::string certificate_fingerprint(X509* cert);

} // namespace offsite::transport::detail
