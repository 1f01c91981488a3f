#pragma once
// The index: blob ID -> (pack, offset, length). Loaded from the repository's
// encrypted index files; new packs are added as they are written.

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/format/pack.hpp"

namespace offsite::core {

struct BlobLocation {
  std::string pack;
  BlobType type = BlobType::data;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t raw_length = 0;
  // The pack holds tree blobs only (backup writes trees into packs of their
  // own): reading a block of it around one tree fetches other trees, never
  // file data.
  bool in_tree_pack = false;
};

struct IndexedPack {
  std::string name;
  std::vector<PackEntry> entries;
};

// One stored index file (index/<name>) and the packs it lists: prune and
// check need to know which file names which pack, not only where a blob is.
struct IndexFile {
  std::string name;
  std::vector<IndexedPack> packs;
};

// Thread-safe (internally locked).
class Index {
public:
  // Adding a pack again (two index files naming it) is harmless. A blob
  // already indexed keeps its first location; a copy in another pack is
  // kept as an alternate (a backup that healed a lost pack, an interrupted
  // prune), so that a reader can fall back to it.
  void add_pack(const std::string& pack_name, const std::vector<PackEntry>& entries);
  std::optional<BlobLocation> find(const BlobId& id) const;
  // Every known location of the blob, find()'s first; empty when absent.
  std::vector<BlobLocation> find_all(const BlobId& id) const;
  bool contains(const BlobId& id) const;
  std::size_t blob_count() const;
  std::vector<std::string> packs() const;
  // Forgets every location in one of `pack_names` (packs the store no
  // longer has): a blob with no copy elsewhere counts as absent, so a
  // backup stores it again. Returns how many blobs became absent.
  std::size_t remove_packs(const std::vector<std::string>& pack_names);

private:
  // 20 bytes beside the 32-byte key: pack names are interned once per pack
  // rather than stored per blob (a 1 TB repository has ~1M blobs).
  struct Entry {
    std::uint32_t pack;
    std::uint32_t offset;
    std::uint32_t length;
    std::uint32_t raw_length;
    BlobType type;
  };
  BlobLocation location(const Entry& e) const;

  mutable std::shared_mutex m_mutex;
  std::vector<std::string> m_pack_names;
  std::unordered_map<std::string, std::uint32_t> m_pack_ids;
  std::unordered_set<std::uint32_t> m_removed_packs; // names kept: ids are positions
  std::vector<bool> m_pack_has_data;                 // by pack id: any data blob indexed in it
  std::unordered_map<BlobId, Entry, BlobIdHash> m_entries;
  std::unordered_multimap<BlobId, Entry, BlobIdHash> m_alternates; // rare: copies in other packs
};

// Plaintext encoding of an index file (the repository seals it):
// [u8 version = 1][u32 LE npacks], then per pack [32-byte raw SHA-256 (the
// pack's name)][u32 LE nentries][nentries x pack entry, as in pack.hpp].
// Throws Error(Code::usage) for a pack name that is not 64 lowercase hex.
Bytes encode_index(const std::vector<IndexedPack>& packs);
// Throws Error(Code::integrity) when malformed.
std::vector<IndexedPack> decode_index(ByteView data);

} // namespace offsite::core
