#pragma once
// Thin, allocation-conscious wrappers over OpenSSL 3 EVP: random bytes,
// SHA-256, HMAC-SHA-256, scrypt and AES-256-GCM. Every function is
// thread-safe. Failures of OpenSSL itself (not of authentication) throw Error.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/bytes.hpp"

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

struct ScryptParams {
  std::uint64_t n = 1u << 17; // 128 MiB of memory with r = 8
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};
// Derives `length` bytes from a passphrase. Throws Error on invalid params.
Bytes scrypt(std::string_view passphrase, ByteView salt, const ScryptParams& params,
             std::size_t length);

// AES-256-GCM with a fresh random 96-bit nonce. Appends
// nonce || ciphertext || tag to `out` (no intermediate copies).
void seal_append(Bytes& out, ByteView key, ByteView plaintext, ByteView aad);
Bytes seal(ByteView key, ByteView plaintext, ByteView aad);

// Authenticates and decrypts nonce || ciphertext || tag. Returns nullopt when
// authentication fails or the input is too short; never returns garbage.
std::optional<Bytes> open(ByteView key, ByteView sealed, ByteView aad);

bool constant_time_equal(ByteView a, ByteView b);

} // namespace offsite::core::crypto
