// OpenSSL 3 EVP wrappers. Speed matters here: every chunk of a backup goes
// through hmac (its ID) and seal, so algorithm objects are fetched once per
// process and cipher/MAC contexts are kept per thread (or per object) and
// re-initialised cheaply instead of allocated per call.
#include "core/crypto/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "core/common/error.hpp"

namespace offsite::core::crypto {
namespace {

// EVP length arguments are int; feed big buffers in slices below INT_MAX.
constexpr std::size_t k_max_slice = std::size_t{1} << 30;

[[noreturn]] void fail(const char* what) {
  throw Error(Code::generic, std::string("OpenSSL failure: ") + what,
              "this is a bug or a broken OpenSSL installation; please report it");
}

// Explicitly fetched algorithms, fetched once and kept for the process
// lifetime (implicit fetching by name on every call is measurably slower).
const EVP_MD* md_sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) fail("SHA256 is not available");
  return md;
}

EVP_MAC* mac_hmac() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) fail("HMAC is not available");
  return mac;
}

const EVP_CIPHER* cipher_gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) fail("AES-256-GCM is not available");
  return cipher;
}

} // namespace

void random_fill(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const std::size_t n = std::min(out.size(), k_max_slice);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) fail("RAND_bytes");
    out = out.subspan(n);
  }
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  random_fill(out);
  return out;
}

Hash sha256(ByteView data) {
  Hash h{};
  if (EVP_Digest(data.data(), data.size(), h.data(), nullptr, md_sha256(), nullptr) != 1)
    fail("EVP_Digest");
  return h;
}

// ---- Sha256 ----------------------------------------------------------------

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_state(std::make_unique<State>()) {
  if (m_state->ctx == nullptr || EVP_DigestInit_ex2(m_state->ctx, md_sha256(), nullptr) != 1)
    fail("EVP_DigestInit");
}
Sha256::~Sha256() = default;

void Sha256::update(ByteView data) {
  if (EVP_DigestUpdate(m_state->ctx, data.data(), data.size()) != 1) fail("EVP_DigestUpdate");
}

Hash Sha256::finish() {
  Hash h{};
  if (EVP_DigestFinal_ex(m_state->ctx, h.data(), nullptr) != 1) fail("EVP_DigestFinal");
  // Leave the object usable for a fresh message.
  if (EVP_DigestInit_ex2(m_state->ctx, md_sha256(), nullptr) != 1) fail("EVP_DigestInit");
  return h;
}

// ---- HMAC-SHA-256 ----------------------------------------------------------

struct HmacSha256::State {
  EVP_MAC_CTX* ctx = nullptr;
  ~State() { EVP_MAC_CTX_free(ctx); }
};

HmacSha256::HmacSha256(ByteView key) : m_state(std::make_unique<State>()) {
  m_state->ctx = EVP_MAC_CTX_new(mac_hmac());
  if (m_state->ctx == nullptr) fail("EVP_MAC_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  // An empty key is legal HMAC, but EVP wants a non-null pointer to set one.
  static const std::uint8_t k_empty = 0;
  const std::uint8_t* key_ptr = key.empty() ? &k_empty : key.data();
  if (EVP_MAC_init(m_state->ctx, key_ptr, key.size(), params) != 1) fail("EVP_MAC_init");
}
HmacSha256::~HmacSha256() = default;

Hash HmacSha256::mac(ByteView data) {
  // Re-init with a null key re-uses the already expanded key (the inner and
  // outer pads), so this costs two digest-context copies, no allocation.
  if (EVP_MAC_init(m_state->ctx, nullptr, 0, nullptr) != 1) fail("EVP_MAC_init");
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), k_max_slice);
    if (EVP_MAC_update(m_state->ctx, data.data(), n) != 1) fail("EVP_MAC_update");
    data = data.subspan(n);
  }
  Hash h{};
  std::size_t len = 0;
  if (EVP_MAC_final(m_state->ctx, h.data(), &len, h.size()) != 1 || len != h.size())
    fail("EVP_MAC_final");
  return h;
}

Hash hmac_sha256(ByteView key, ByteView data) { return HmacSha256(key).mac(data); }

// ---- scrypt ----------------------------------------------------------------

Bytes scrypt(std::string_view passphrase, ByteView salt, const ScryptParams& params,
             std::size_t length) {
  const std::uint64_t n = params.n;
  const std::uint64_t r = params.r;
  const std::uint64_t p = params.p;
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 || length == 0)
    throw Error(Code::usage,
                "invalid scrypt parameters (N must be a power of two >= 2, r and p >= 1)");
  // OpenSSL needs 128*r*(N+2) bytes for V plus 128*r*p for B; it refuses to
  // run unless maxmem covers both. Compute it without overflowing.
  constexpr std::uint64_t k_limit = std::uint64_t{1} << 40;
  if (r > k_limit / 128 || n + 2 > k_limit / (128 * r) || p > k_limit / (128 * r))
    throw Error(Code::usage, "scrypt parameters need more memory than this machine can give");
  const std::uint64_t maxmem = 128 * r * (n + 2) + 128 * r * p + (std::uint64_t{1} << 20);

  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "SCRYPT", nullptr);
  if (kdf == nullptr) fail("SCRYPT is not available");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) fail("EVP_KDF_CTX_new");

  std::uint64_t n_param = n;
  std::uint32_t r_param = params.r;
  std::uint32_t p_param = params.p;
  std::uint64_t maxmem_param = maxmem;
  static const std::uint8_t k_empty = 0;
  OSSL_PARAM ossl_params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_PASSWORD,
          passphrase.empty()
              ? const_cast<std::uint8_t*>(&k_empty)
              : reinterpret_cast<std::uint8_t*>(const_cast<char*>(passphrase.data())),
          passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                        salt.empty() ? const_cast<std::uint8_t*>(&k_empty)
                                                     : const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p_param),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem_param),
      OSSL_PARAM_construct_end()};
  Bytes out(length);
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), ossl_params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1)
    throw Error(Code::generic, "scrypt key derivation failed (out of memory?)",
                "free some memory, or lower the scrypt parameters when creating a key");
  return out;
}

// ---- AES-256-GCM -----------------------------------------------------------

namespace detail {

// One cipher context with the key it was last set up for. Setting the same
// key again is skipped: only the nonce changes between blobs, which saves
// the AES key schedule and the GHASH table per call.
struct GcmSlot {
  EVP_CIPHER_CTX* ctx = nullptr;
  Key key{};
  bool keyed = false;
  bool busy = false;

  GcmSlot() = default;
  GcmSlot(const GcmSlot&) = delete;
  GcmSlot& operator=(const GcmSlot&) = delete;
  ~GcmSlot() {
    OPENSSL_cleanse(key.data(), key.size());
    EVP_CIPHER_CTX_free(ctx);
  }

  void init(ByteView k, const std::uint8_t* nonce, int enc) {
    if (k.size() != k_key_size)
      throw Error(Code::generic, "AES-256-GCM needs a 32-byte key (internal error)");
    if (ctx == nullptr) {
      ctx = EVP_CIPHER_CTX_new();
      if (ctx == nullptr) fail("EVP_CIPHER_CTX_new");
    }
    const bool same = keyed && CRYPTO_memcmp(key.data(), k.data(), k_key_size) == 0;
    // Not keyed until this init succeeds: a failure mid-way leaves no stale state.
    keyed = false;
    // The default GCM nonce length is 12 bytes, which is ours.
    const int ok = same ? EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce, enc, nullptr)
                        : EVP_CipherInit_ex2(ctx, cipher_gcm(), k.data(), nonce, enc, nullptr);
    if (ok != 1) fail("EVP_CipherInit");
    if (!same) std::memcpy(key.data(), k.data(), k_key_size);
    keyed = true;
  }

  // Runs the cipher over `in` into `out` (same size; out may be null for AAD).
  void update(std::uint8_t* out, ByteView in) {
    while (!in.empty()) {
      const std::size_t n = std::min(in.size(), k_max_slice);
      int len = 0;
      if (EVP_CipherUpdate(ctx, out, &len, in.data(), static_cast<int>(n)) != 1 ||
          static_cast<std::size_t>(len) != n) {
        keyed = false;
        fail("EVP_CipherUpdate");
      }
      in = in.subspan(n);
      if (out != nullptr) out += n;
    }
  }
};

} // namespace detail

namespace {

using detail::GcmSlot;

// Separate slots for the two directions so that alternating seal and open
// (a pack rewrite during prune) does not re-key on every call.
thread_local GcmSlot t_seal_slot;
thread_local GcmSlot t_open_slot;

} // namespace

void seal_append_parts(Bytes& out, ByteView key, std::span<const ByteView> parts, ByteView aad) {
  std::size_t total = 0;
  for (const ByteView part : parts)
    total += part.size();
  const std::size_t start = out.size();
  out.resize(start + k_nonce_size + total + k_tag_size);
  std::uint8_t* const nonce = out.data() + start;
  random_fill({nonce, k_nonce_size});

  GcmSlot& slot = t_seal_slot;
  slot.init(key, nonce, 1);
  slot.update(nullptr, aad);
  std::uint8_t* dst = nonce + k_nonce_size;
  for (const ByteView part : parts) {
    slot.update(dst, part);
    dst += part.size();
  }
  int len = 0;
  if (EVP_EncryptFinal_ex(slot.ctx, dst, &len) != 1 || len != 0) {
    slot.keyed = false;
    fail("EVP_EncryptFinal");
  }
  if (EVP_CIPHER_CTX_ctrl(slot.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(k_tag_size), dst) != 1) {
    slot.keyed = false;
    fail("EVP_CTRL_GCM_GET_TAG");
  }
}

void seal_append(Bytes& out, ByteView key, ByteView plaintext, ByteView aad) {
  const ByteView parts[] = {plaintext};
  seal_append_parts(out, key, parts, aad);
}

Bytes seal(ByteView key, ByteView plaintext, ByteView aad) {
  Bytes out;
  seal_append(out, key, plaintext, aad);
  return out;
}

Opener::Opener(ByteView key, ByteView sealed, ByteView aad) {
  if (sealed.size() < k_seal_overhead) return;
  // Borrow the thread's slot; a second Opener alive on the same thread
  // (rare) gets its own context instead of corrupting the first one's.
  const bool owned = t_open_slot.busy;
  GcmSlot* slot = owned ? new GcmSlot : &t_open_slot;
  try {
    slot->init(key, sealed.data(), 0);
    slot->update(nullptr, aad);
  } catch (...) {
    if (owned) delete slot;
    throw;
  }
  slot->busy = true;
  m_slot = slot;
  m_owned = owned;
  m_in = sealed.data() + k_nonce_size;
  m_remaining = sealed.size() - k_seal_overhead;
  m_tag = sealed.data() + sealed.size() - k_tag_size;
  m_valid = true;
}

Opener::~Opener() {
  if (m_slot == nullptr) return;
  if (m_owned) {
    delete m_slot;
  } else {
    m_slot->busy = false;
  }
}

void Opener::read(std::span<std::uint8_t> out) {
  if (!m_valid || out.size() > m_remaining)
    throw Error(Code::generic, "crypto::Opener::read past the end (internal error)");
  m_slot->update(out.data(), {m_in, out.size()});
  m_in += out.size();
  m_remaining -= out.size();
}

bool Opener::finish() {
  if (!m_valid || m_remaining != 0) return false;
  m_valid = false; // finish once
  // SET_TAG takes a non-const pointer but only reads it.
  if (EVP_CIPHER_CTX_ctrl(m_slot->ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(k_tag_size),
                          const_cast<std::uint8_t*>(m_tag)) != 1) {
    m_slot->keyed = false;
    fail("EVP_CTRL_GCM_SET_TAG");
  }
  std::uint8_t sink[16];
  int len = 0;
  return EVP_DecryptFinal_ex(m_slot->ctx, sink, &len) == 1;
}

std::optional<Bytes> open(ByteView key, ByteView sealed, ByteView aad) {
  Opener opener(key, sealed, aad);
  if (!opener.valid()) return std::nullopt;
  Bytes out(opener.remaining());
  opener.read(out);
  if (!opener.finish()) {
    // Do not leave unauthenticated plaintext lying around in freed memory.
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) {
  // The length is not secret; the contents are.
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void secure_wipe(std::span<std::uint8_t> data) {
  if (!data.empty()) OPENSSL_cleanse(data.data(), data.size());
}

} // namespace offsite::core::crypto
