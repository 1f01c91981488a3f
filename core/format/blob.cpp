// Blob encoding: the stored form of one chunk or tree.
//
// Byte layout of a sealed blob (what a pack stores for one blob):
//
//   nonce[12] || AES-256-GCM(encryption key, inner, aad) || tag[16]
//
//   aad   = "offsite-blob-v1" (15 ASCII bytes) || type (u8: 1 data, 2 tree)
//           || id (32 bytes)                                  = 48 bytes
//   inner = compression (u8: 0 none, 1 zstd frame)
//           || length (u32 little-endian: bytes of payload that follow)
//           || payload (plaintext, or one zstd frame holding it)
//           || zero bytes up to padded_size(5 + length)
//   id    = HMAC-SHA-256(id_mac key, plaintext)
//
// Why this shape:
// - The AAD binds type and ID, so a server cannot answer a request for blob X
//   with blob Y (or a tree with a data chunk): the tag would not verify. The
//   ID is also recomputed from the plaintext after decryption, which catches
//   a client that sealed the wrong bytes under an ID.
// - Padding to Padmé buckets hides most of the compressed length: published
//   attacks recover file contents from sequences of chunk sizes even with a
//   keyed chunker. Compression happens before padding so it cannot undo it.
// - The header lives inside the ciphertext, so compression and exact length
//   are secret too. The sealed size is 28 + padded_size(5 + length).
// - Compression is used only when it makes the payload smaller, so
//   incompressible data costs one failed attempt and never grows.
//
// Copies: seal gathers header, payload and padding straight into the output
// vector (crypto::seal_append_parts). Open decrypts an uncompressed payload
// straight into the returned vector (crypto::Opener); a compressed one is
// decrypted into a per-thread buffer and inflated into the returned vector
// only after the tag has verified, so zstd never parses unauthenticated data.
#include "core/format/blob.hpp"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <memory>
#include <string>
#include <vector>

#include "core/common/error.hpp"

namespace offsite::core {
namespace {

constexpr std::size_t k_header_size = 5;
constexpr std::uint8_t k_compression_none = 0;
constexpr std::uint8_t k_compression_zstd = 1;
constexpr std::string_view k_aad_prefix = "offsite-blob-v1";
constexpr std::size_t k_aad_size = 15 + 1 + 32;
static_assert(k_aad_prefix.size() == 15);

// Padding is fed to the cipher from this block, as many times as needed.
constexpr std::size_t k_zero_block_size = std::size_t{64} * 1024;
constexpr std::array<std::uint8_t, k_zero_block_size> k_zero_block{};

std::array<std::uint8_t, k_aad_size> make_aad(BlobType type, const BlobId& id) {
  std::array<std::uint8_t, k_aad_size> aad{};
  std::copy(k_aad_prefix.begin(), k_aad_prefix.end(), aad.begin());
  aad[15] = static_cast<std::uint8_t>(type);
  std::copy(id.begin(), id.end(), aad.begin() + 16);
  return aad;
}

// Created on first use, so threads that only open never build a compressor.
struct CCtx {
  ZSTD_CCtx* ctx = nullptr;
  CCtx() = default;
  CCtx(const CCtx&) = delete;
  CCtx& operator=(const CCtx&) = delete;
  ~CCtx() { ZSTD_freeCCtx(ctx); }
  ZSTD_CCtx* get() {
    if (ctx == nullptr) ctx = ZSTD_createCCtx();
    if (ctx == nullptr) throw Error(Code::generic, "out of memory creating a zstd context");
    return ctx;
  }
};
struct DCtx {
  ZSTD_DCtx* ctx = nullptr;
  DCtx() = default;
  DCtx(const DCtx&) = delete;
  DCtx& operator=(const DCtx&) = delete;
  ~DCtx() { ZSTD_freeDCtx(ctx); }
  ZSTD_DCtx* get() {
    if (ctx == nullptr) ctx = ZSTD_createDCtx();
    if (ctx == nullptr) throw Error(Code::generic, "out of memory creating a zstd context");
    return ctx;
  }
};

// Per-thread state: compression contexts and scratch buffers that keep their
// capacity between blobs, so steady-state sealing and opening do not allocate
// except for the caller's output.
struct ThreadState {
  CCtx cctx;
  DCtx dctx;
  Bytes compressed; // zstd output on seal, decrypted zstd frame on open
  Bytes padding;    // decrypted padding on open, checked to be zero
};
thread_local ThreadState t_state;

// HMAC contexts per key. Several codecs (several repositories, tests) may be
// alive in one process, so the cache is keyed by the key bytes, not shared
// blindly; a handful of slots with round-robin replacement is plenty.
class MacCache {
public:
  MacCache() = default;
  MacCache(const MacCache&) = delete;
  MacCache& operator=(const MacCache&) = delete;
  ~MacCache() {
    for (auto& slot : m_slots)
      crypto::secure_wipe(slot.key);
  }

  crypto::HmacSha256& get(const crypto::Key& key) {
    for (auto& slot : m_slots)
      if (slot.mac && crypto::constant_time_equal(slot.key, key)) return *slot.mac;
    Slot& slot = m_slots[m_next];
    m_next = (m_next + 1) % m_slots.size();
    slot.mac = std::make_unique<crypto::HmacSha256>(key);
    slot.key = key;
    return *slot.mac;
  }

private:
  struct Slot {
    crypto::Key key{};
    std::unique_ptr<crypto::HmacSha256> mac;
  };
  std::array<Slot, 4> m_slots;
  std::size_t m_next = 0;
};
thread_local MacCache t_macs;

bool all_zero(ByteView data) {
  std::uint8_t acc = 0;
  for (const std::uint8_t b : data)
    acc |= b;
  return acc == 0;
}

} // namespace

std::string blob_id_hex(const BlobId& id) { return to_hex(id); }

std::optional<BlobId> blob_id_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  const auto bytes = from_hex(hex);
  if (!bytes) return std::nullopt;
  BlobId id{};
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

std::size_t padded_size(std::size_t size) {
  if (size < 2) return size;
  // E = floor(log2 L), S = floor(log2 E) + 1; the low E - S bits are rounded up.
  const unsigned e = static_cast<unsigned>(std::bit_width(size) - 1);
  const unsigned s = static_cast<unsigned>(std::bit_width(e));
  const unsigned last_bits = e - s;
  const std::size_t mask = (std::size_t{1} << last_bits) - 1;
  return (size + mask) & ~mask;
}

BlobCodec::BlobCodec(const MasterKey& key, int zstd_level) : m_key(key), m_level(zstd_level) {}

BlobId BlobCodec::id_of(ByteView plaintext) const {
  return t_macs.get(m_key.id_mac).mac(plaintext);
}

void BlobCodec::seal_append(Bytes& out, BlobType type, const BlobId& id, ByteView plaintext) const {
  if (plaintext.size() > k_max_blob_size)
    throw Error(Code::usage, "a blob of " + std::to_string(plaintext.size()) +
                                 " bytes is larger than the 64 MiB limit (internal error)");
  ThreadState& ts = t_state;

  std::uint8_t compression = k_compression_none;
  ByteView payload = plaintext;
  if (!plaintext.empty()) {
    ts.compressed.resize(ZSTD_compressBound(plaintext.size()));
    const std::size_t n =
        ZSTD_compressCCtx(ts.cctx.get(), ts.compressed.data(), ts.compressed.size(),
                          plaintext.data(), plaintext.size(), m_level);
    if (ZSTD_isError(n))
      throw Error(Code::generic, std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
    if (n < plaintext.size()) {
      compression = k_compression_zstd;
      payload = ByteView(ts.compressed).first(n);
    }
  }

  const std::size_t inner = k_header_size + payload.size();
  std::size_t padding = padded_size(inner) - inner;
  std::array<std::uint8_t, k_header_size> header{};
  header[0] = compression;
  const auto len = static_cast<std::uint32_t>(payload.size());
  for (std::size_t i = 0; i < 4; ++i)
    header[1 + i] = static_cast<std::uint8_t>(len >> (8 * i));

  // Padmé pads the largest inner size (64 MiB + 5, E = 26, S = 5) by less
  // than 2^21 bytes = 32 zero blocks, so a fixed array holds the parts.
  std::array<ByteView, 2 + 32> parts{};
  std::size_t count = 0;
  parts[count++] = header;
  parts[count++] = payload;
  while (padding > 0) {
    if (count == parts.size()) throw Error(Code::generic, "blob padding overflow (internal error)");
    const std::size_t n = std::min(padding, k_zero_block_size);
    parts[count++] = ByteView(k_zero_block).first(n);
    padding -= n;
  }
  const auto aad = make_aad(type, id);
  crypto::seal_append_parts(out, m_key.encryption, std::span(parts).first(count), aad);
}

Bytes BlobCodec::seal(BlobType type, const BlobId& id, ByteView plaintext) const {
  Bytes out;
  seal_append(out, type, id, plaintext);
  return out;
}

std::optional<Bytes> BlobCodec::open(BlobType type, const BlobId& id, ByteView sealed) const {
  const auto aad = make_aad(type, id);
  crypto::Opener opener(m_key.encryption, sealed, aad);
  if (!opener.valid() || opener.remaining() < k_header_size) return std::nullopt;
  const std::size_t inner = opener.remaining();

  // The header is not authenticated yet: it only sizes buffers, and every
  // size it implies is bounded by the sealed input we already hold.
  std::array<std::uint8_t, k_header_size> header{};
  opener.read(header);
  const std::uint8_t compression = header[0];
  const std::size_t len = get_u32(header.data() + 1);
  if (compression > k_compression_zstd || len > inner - k_header_size ||
      padded_size(k_header_size + len) != inner)
    return std::nullopt;

  ThreadState& ts = t_state;
  Bytes result;
  ByteView frame;
  if (compression == k_compression_none) {
    result.resize(len);
    opener.read(result);
  } else {
    ts.compressed.resize(len);
    opener.read(ts.compressed);
    frame = ts.compressed;
  }
  ts.padding.resize(opener.remaining());
  opener.read(ts.padding);
  if (!opener.finish() || !all_zero(ts.padding)) {
    crypto::secure_wipe(result);
    return std::nullopt;
  }

  if (compression == k_compression_zstd) {
    const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
        size > k_max_blob_size)
      return std::nullopt;
    result.resize(static_cast<std::size_t>(size));
    const std::size_t n = ZSTD_decompressDCtx(ts.dctx.get(), result.data(), result.size(),
                                              frame.data(), frame.size());
    if (ZSTD_isError(n) || n != result.size()) return std::nullopt;
  }

  const BlobId actual = id_of(result);
  if (!crypto::constant_time_equal(actual, id)) return std::nullopt;
  return result;
}

} // namespace offsite::core
