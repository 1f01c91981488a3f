#pragma once
// Blobs: the unit of deduplication. A blob's ID is the keyed MAC of its
// plaintext; its stored form is compressed (when that helps), padded to a
// size bucket and sealed with AES-256-GCM, bound to its type and ID.

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include "core/common/bytes.hpp"
#include "core/crypto/keys.hpp"

namespace offsite::core {

enum class BlobType : std::uint8_t { data = 1, tree = 2 };

using BlobId = std::array<std::uint8_t, 32>;

struct BlobIdHash {
  std::size_t operator()(const BlobId& id) const noexcept {
    std::size_t h;
    std::memcpy(&h, id.data(), sizeof h); // IDs are MAC outputs: already uniform
    return h;
  }
};

std::string blob_id_hex(const BlobId& id);
std::optional<BlobId> blob_id_from_hex(std::string_view hex);

// Padmé (Nikitin et al. 2019): rounds `size` up so that only O(log log n)
// bits of it are visible; at most ~12% overhead, less for larger sizes.
// BlobCodec applies it to the inner plaintext (5-byte header + payload).
std::size_t padded_size(std::size_t size);

// Largest plaintext a blob may hold; open() refuses to inflate beyond it, so
// seal() refuses to write beyond it.
constexpr std::size_t k_max_blob_size = std::size_t{64} << 20;

// Thread-safe: per-thread compression contexts are kept internally.
class BlobCodec {
public:
  BlobCodec(const MasterKey& key, int zstd_level = 3);

  BlobId id_of(ByteView plaintext) const;

  // Compresses (if smaller), pads, seals. Appends the sealed blob to `out`.
  // `plaintext` must not point into `out`. Throws Error(Code::usage) beyond
  // k_max_blob_size.
  void seal_append(Bytes& out, BlobType type, const BlobId& id, ByteView plaintext) const;
  Bytes seal(BlobType type, const BlobId& id, ByteView plaintext) const;

  // Authenticates, decrypts, decompresses and re-checks the ID. Returns nullopt
  // on any mismatch: the caller reports an integrity error naming the pack.
  std::optional<Bytes> open(BlobType type, const BlobId& id, ByteView sealed) const;

  int zstd_level() const { return m_level; }

private:
  MasterKey m_key;
  int m_level;
};

} // namespace offsite::core
