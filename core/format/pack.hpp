#pragma once
// Pack files: sealed blobs in a shuffled order, followed by an encrypted
// header listing them. See pack.cpp for the byte layout.

#include <optional>
#include <string>
#include <vector>

#include "core/format/blob.hpp"

namespace offsite::core {

constexpr std::size_t k_pack_target_size = std::size_t{16} * 1024 * 1024;

struct PackEntry {
  BlobType type = BlobType::data;
  BlobId id{};
  std::uint32_t offset = 0;     // of the sealed blob within the pack
  std::uint32_t length = 0;     // sealed length
  std::uint32_t raw_length = 0; // plaintext length
};

struct FinishedPack {
  std::string name; // hex SHA-256 of `bytes`
  Bytes bytes;
  std::vector<PackEntry> entries;
};

// Collects sealed blobs in memory and writes them out shuffled. Not
// thread-safe: the repository serializes access.
class PackBuilder {
public:
  explicit PackBuilder(const crypto::Key& encryption_key);

  // Throws Error(Code::usage) if the pack would outgrow 32-bit offsets.
  void add(BlobType type, const BlobId& id, Bytes sealed, std::uint32_t raw_length);
  // The sealed bytes of a blob added but not yet finished, or nullptr.
  const Bytes* find(const BlobId& id) const;
  std::size_t size() const { return m_bytes; }
  std::size_t count() const { return m_blobs.size(); }
  bool empty() const { return m_blobs.empty(); }

  struct Pending {
    BlobType type;
    BlobId id;
    Bytes sealed;
    std::uint32_t raw_length;
  };

  // Shuffles the blobs, appends the sealed header, names the pack. Leaves the
  // builder empty and reusable.
  FinishedPack finish() { return assemble(m_key, take()); }

  // finish() in two steps, so a caller holding a lock around the builder can
  // take the blobs in O(1) and do the copying, sealing and hashing outside.
  std::vector<Pending> take();
  static FinishedPack assemble(const crypto::Key& encryption_key, std::vector<Pending> blobs);
  const crypto::Key& key() const { return m_key; }

private:
  crypto::Key m_key;
  std::vector<Pending> m_blobs;
  std::size_t m_bytes = 0;
};

// Parses and authenticates a pack's header from the whole pack (or at least
// its tail, with `pack_size` the size of the whole pack). Returns nullopt when
// the header is truncated, forged or otherwise invalid.
std::optional<std::vector<PackEntry>> read_pack_header(const crypto::Key& encryption_key,
                                                       ByteView tail, std::uint64_t pack_size);

// One entry as stored in a pack header and in an index file:
// [u8 type][32 id][u32 LE offset][u32 LE length][u32 LE raw_length].
constexpr std::size_t k_pack_entry_size = 1 + 32 + 4 + 4 + 4;
void put_pack_entry(Bytes& out, const PackEntry& entry);
// Parses k_pack_entry_size bytes; nullopt for an unknown blob type.
std::optional<PackEntry> get_pack_entry(const std::uint8_t* p);

// How many bytes from the end of a pack to fetch to be sure to get its header
// length field (the caller fetches more if the header is larger).
constexpr std::size_t k_pack_trailer_size = 4;

} // namespace offsite::core
