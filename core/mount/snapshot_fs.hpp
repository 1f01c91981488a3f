#pragma once
// offsite mount's file system, without FUSE: every snapshot under ids/,
// hosts/<host>/<time>/ and tags/<tag>/<time>/, `latest` a symlink to the
// newest (restic's layout). Lazy: a path is resolved by loading only the
// trees on its way, and a read loads only the blobs covering its range,
// through a bounded cache of decrypted blobs. The FUSE glue
// (cli/mount/fuse_adapter) maps these answers onto callbacks: a missing
// name is an empty lookup (ENOENT), anything thrown is damage or a missing
// blob (EIO), never wrong bytes. Not thread-safe: one request at a time.

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/format/blob.hpp"
#include "core/format/snapshot.hpp"
#include "core/format/tree.hpp"

namespace offsite::core::mount {

// Where blobs come from (the repository, or a test's map).
class BlobSource {
public:
  virtual ~BlobSource() = default;
  // Throws Error(integrity) when the blob fails authentication,
  // Error(not_found) when it is missing.
  virtual Bytes load(BlobType type, const BlobId& id) = 0;
  // The blob's plaintext length from the index, without loading it;
  // nullopt when the index does not know the blob.
  virtual std::optional<std::uint64_t> plain_length(const BlobId& id) = 0;
};

// The pieces of a file's blobs that cover a read: blob `blob` from byte
// `from` for `count` bytes, in order. Nothing past the end of the blobs.
struct ReadPiece {
  std::size_t blob = 0;
  std::uint64_t from = 0;
  std::uint64_t count = 0;
};
std::vector<ReadPiece> plan_read(const std::vector<std::uint64_t>& blob_lengths,
                                 std::uint64_t offset, std::uint64_t size);

// Decrypted blobs, least recently used dropped first once their bytes
// exceed the budget (a single blob larger than the budget is not kept).
class BlobCache {
public:
  explicit BlobCache(std::size_t budget_bytes) : m_budget(budget_bytes) {}
  std::shared_ptr<const Bytes> find(const BlobId& id);
  void put(const BlobId& id, std::shared_ptr<const Bytes> data);
  std::size_t bytes() const { return m_bytes; }
  std::size_t size() const { return m_entries.size(); }

private:
  using Order = std::list<BlobId>;
  struct Entry {
    std::shared_ptr<const Bytes> data;
    Order::iterator position;
  };
  std::size_t m_budget;
  std::size_t m_bytes = 0;
  Order m_order; // most recent first
  std::unordered_map<BlobId, Entry, BlobIdHash> m_entries;
};

// One entry of the mounted tree: a snapshot's node, or a made-up directory
// or symlink of the layout (`node` filled in alike, read-only).
struct FsEntry {
  Node node;
  // Directories inside a snapshot (and a snapshot's root): their tree.
  std::optional<BlobId> tree;
  // Made-up directories: which level of the layout they are.
  enum class Level { none, root, ids, hosts, host, tags, tag } level = Level::none;
  std::string key; // the host or tag of a Level::host / Level::tag directory
  // An inode number to show: the same for hardlinks of one snapshot (so
  // cp -a links them again), different across snapshots and made-up entries.
  std::uint64_t ino = 0;
  std::uint64_t snapshot_salt = 0; // from the snapshot's root tree
};

class SnapshotFs {
public:
  // `snapshots`: sorted by time, oldest first (Repository::list_snapshots).
  SnapshotFs(BlobSource& source, std::vector<Snapshot> snapshots,
             std::size_t cache_bytes = 64u << 20);

  // The entry at an absolute path ("/", "/ids/1a2b3c4d/etc/hosts"), or
  // nullopt when there is none; throws what loading a tree throws.
  std::optional<FsEntry> lookup(std::string_view path);
  // A directory's entries (without "." and ".."); names a snapshot holds
  // that no file system can show ("", ".", "..", with '/') are left out.
  std::vector<FsEntry> list(const FsEntry& dir);
  // Copies up to out.size() bytes of a file from `offset`; returns how many
  // (0 at or past the end). Throws what loading a blob throws.
  std::size_t read(const FsEntry& file, std::uint64_t offset, std::span<std::uint8_t> out);

  // The name of a snapshot under hosts/ and tags/: its UTC time, with its
  // short ID when two snapshots of that directory share the second.
  static std::string time_name(const Snapshot& snapshot);
  static std::string short_id(const Snapshot& snapshot) { return snapshot.id.substr(0, 8); }
  const BlobCache& cache() const { return m_blobs; }

private:
  std::shared_ptr<const Tree> load_tree(const BlobId& id);
  FsEntry made_dir(FsEntry::Level level, std::string name, std::string key = {}) const;
  FsEntry snapshot_root(const Snapshot& snapshot, std::string name) const;
  FsEntry symlink(std::string name, std::string target) const;
  // The snapshots of a host or tag directory, by their names there.
  std::map<std::string, const Snapshot*> named(FsEntry::Level level, const std::string& key) const;
  std::vector<std::uint64_t> blob_lengths(const Node& file);

  BlobSource& m_source;
  std::vector<Snapshot> m_snapshots;
  BlobCache m_blobs;
  std::unordered_map<BlobId, std::shared_ptr<const Tree>, BlobIdHash> m_trees;
  std::size_t m_tree_bytes = 0;
};

} // namespace offsite::core::mount
