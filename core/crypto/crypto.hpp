#pragma once
// Thin, allocation-conscious wrappers over OpenSSL 3 EVP: random bytes,
// SHA-256, HMAC-SHA-256, scrypt and AES-256-GCM. Every function is
// thread-safe. Failures of OpenSSL itself (not of authentication) throw Error.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/common/bytes.hpp"

namespace offsite::core::crypto {

constexpr std::size_t k_key_size = 32;
constexpr std::size_t k_nonce_size = 12;
constexpr std::size_t k_tag_size = 16;
constexpr std::size_t k_seal_overhead = k_nonce_size + k_tag_size;

using Hash = std::array<std::uint8_t, 32>;
using Key = std::array<std::uint8_t, k_key_size>;

void random_fill(std::span<std::uint8_t> out);
Bytes random_bytes(std::size_t n);

Hash sha256(ByteView data);

// Incremental SHA-256 (for pack names computed while the pack is built).
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(ByteView data);
  Hash finish();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

Hash hmac_sha256(ByteView key, ByteView data);

// Reusable keyed MAC: construction does the key setup once, so hashing many
// chunks costs no per-call allocation. Not thread-safe: one per thread.
class HmacSha256 {
public:
  explicit HmacSha256(ByteView key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  Hash mac(ByteView data);

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Defaults for new key files: OWASP's scrypt row N = 2^14, r = 8, p = 5,
// rated as strong as its N = 2^17, p = 1 row (about the same CPU time) but
// with 16 MiB instead of 128 MiB of memory. Every command derives the key
// once, so the KDF would otherwise set the client's peak memory: a backup
// then stays at the size of its pipeline. Key files carry their own
// parameters, so older ones keep theirs.
struct ScryptParams {
  std::uint64_t n = 1u << 14; // 16 MiB of memory with r = 8
  std::uint32_t r = 8;
  std::uint32_t p = 5;
};
// Derives `length` bytes from a passphrase. Throws Error on invalid params.
Bytes scrypt(std::string_view passphrase, ByteView salt, const ScryptParams& params,
             std::size_t length);

// AES-256-GCM with a fresh random 96-bit nonce. Appends
// nonce || ciphertext || tag to `out` (no intermediate copies).
// `plaintext` must not point into `out` (out may reallocate).
void seal_append(Bytes& out, ByteView key, ByteView plaintext, ByteView aad);
Bytes seal(ByteView key, ByteView plaintext, ByteView aad);
// Gather variant: seals the concatenation of `parts` as one message, so a
// caller can put a header and padding around a payload without copying it.
void seal_append_parts(Bytes& out, ByteView key, std::span<const ByteView> parts, ByteView aad);

// Authenticates and decrypts nonce || ciphertext || tag. Returns nullopt when
// authentication fails or the input is too short; never returns garbage.
std::optional<Bytes> open(ByteView key, ByteView sealed, ByteView aad);

namespace detail {
struct GcmSlot; // a cipher context and the key it holds; defined in crypto.cpp
} // namespace detail

// Streaming open, for callers that route parts of the plaintext to different
// buffers (a blob's payload straight into the caller's vector). Nothing read
// may be trusted or acted on beyond bounds checks until finish() returns true.
// Cheap to construct (re-uses a per-thread cipher context); not copyable;
// use it on one thread.
class Opener {
public:
  Opener(ByteView key, ByteView sealed, ByteView aad);
  ~Opener();
  Opener(const Opener&) = delete;
  Opener& operator=(const Opener&) = delete;

  // False when `sealed` is too short to hold a nonce and tag.
  bool valid() const { return m_valid; }
  // Plaintext bytes not yet read.
  std::size_t remaining() const { return m_remaining; }
  // Decrypts the next out.size() bytes; throws Error when out.size() > remaining().
  void read(std::span<std::uint8_t> out);
  // Verifies the tag. True only if valid(), everything was read and the tag matches.
  bool finish();

private:
  detail::GcmSlot* m_slot = nullptr;
  bool m_owned = false;
  bool m_valid = false;
  const std::uint8_t* m_in = nullptr;
  std::size_t m_remaining = 0;
  const std::uint8_t* m_tag = nullptr;
};

bool constant_time_equal(ByteView a, ByteView b);

// Overwrites secrets (derived keys, key copies) in a way the compiler keeps.
void secure_wipe(std::span<std::uint8_t> data);

} // namespace offsite::core::crypto
