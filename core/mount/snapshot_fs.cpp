#include "core/mount/snapshot_fs.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "util/printable.hpp"

namespace offsite::core::mount {

namespace {

// Decoded trees kept for listings and lookups; dropped all at once past
// this (they are small, and a walk reloads only what it enters again).
constexpr std::size_t k_tree_budget = 16u << 20;

// splitmix64's finaliser: spreads (salt, device, inode) over 64 bits.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t node_ino(std::uint64_t salt, const Node& node) {
  return mix(salt ^ mix(node.device_id ^ mix(node.inode + 1)));
}

std::uint64_t salt_of(const BlobId& tree) {
  std::uint64_t salt = 0;
  for (std::size_t i = 0; i < 8; ++i)
    salt = salt << 8 | tree[i];
  return salt;
}

FsEntry child_of(const FsEntry& dir, const Node& node) {
  FsEntry entry;
  entry.node = node;
  if (node.type == NodeType::dir) entry.tree = node.subtree;
  entry.snapshot_salt = dir.snapshot_salt;
  entry.ino = node_ino(dir.snapshot_salt, node);
  return entry;
}

} // namespace

std::vector<ReadPiece> plan_read(const std::vector<std::uint64_t>& blob_lengths,
                                 std::uint64_t offset, std::uint64_t size) {
  std::vector<ReadPiece> pieces;
  std::uint64_t start = 0; // file offset of blob i
  const std::uint64_t end = offset + size < offset ? UINT64_MAX : offset + size;
  for (std::size_t i = 0; i < blob_lengths.size() && start < end; ++i) {
    const std::uint64_t length = blob_lengths[i];
    const std::uint64_t stop = start + length;
    if (stop > offset && length > 0) {
      const std::uint64_t from = std::max(offset, start) - start;
      const std::uint64_t to = std::min(end, stop) - start;
      pieces.push_back({i, from, to - from});
    }
    start = stop;
  }
  return pieces;
}

std::shared_ptr<const Bytes> BlobCache::find(const BlobId& id) {
  const auto it = m_entries.find(id);
  if (it == m_entries.end()) return nullptr;
  m_order.splice(m_order.begin(), m_order, it->second.position);
  return it->second.data;
}

void BlobCache::put(const BlobId& id, std::shared_ptr<const Bytes> data) {
  if (!data || data->size() > m_budget || m_entries.contains(id)) return;
  m_order.push_front(id);
  m_bytes += data->size();
  m_entries.emplace(id, Entry{std::move(data), m_order.begin()});
  while (m_bytes > m_budget) {
    const auto last = m_entries.find(m_order.back());
    m_bytes -= last->second.data->size();
    m_entries.erase(last);
    m_order.pop_back();
  }
}

SnapshotFs::SnapshotFs(BlobSource& source, std::vector<Snapshot> snapshots, std::size_t cache_bytes)
    : m_source(source), m_snapshots(std::move(snapshots)), m_blobs(cache_bytes) {
  std::stable_sort(m_snapshots.begin(), m_snapshots.end(),
                   [](const Snapshot& a, const Snapshot& b) { return a.time_ns < b.time_ns; });
}

std::string SnapshotFs::time_name(const Snapshot& snapshot) {
  const std::time_t seconds = static_cast<std::time_t>(snapshot.time_ns / k_ns_per_second);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

FsEntry SnapshotFs::made_dir(FsEntry::Level level, std::string name, std::string key) const {
  FsEntry entry;
  entry.node.name = std::move(name);
  entry.node.type = NodeType::dir;
  entry.node.mode = 0555;
  entry.node.links = 2;
  if (!m_snapshots.empty()) {
    entry.node.mtime_ns = entry.node.ctime_ns = entry.node.atime_ns = m_snapshots.back().time_ns;
  }
  entry.level = level;
  entry.key = std::move(key);
  entry.ino = mix(std::hash<std::string>{}(
      fmt::format("{}/{}/{}", static_cast<int>(level), entry.key, entry.node.name)));
  return entry;
}

FsEntry SnapshotFs::snapshot_root(const Snapshot& snapshot, std::string name) const {
  FsEntry entry;
  entry.node.name = std::move(name);
  entry.node.type = NodeType::dir;
  entry.node.mode = 0555;
  entry.node.links = 2;
  entry.node.mtime_ns = entry.node.ctime_ns = entry.node.atime_ns = snapshot.time_ns;
  entry.tree = snapshot.tree;
  entry.snapshot_salt = salt_of(snapshot.tree);
  entry.ino = mix(entry.snapshot_salt);
  return entry;
}

FsEntry SnapshotFs::symlink(std::string name, std::string target) const {
  FsEntry entry;
  entry.node.name = std::move(name);
  entry.node.type = NodeType::symlink;
  entry.node.mode = 0777;
  entry.node.size = target.size();
  entry.ino = mix(std::hash<std::string>{}(entry.node.name + "->" + target));
  entry.node.link_target = std::move(target);
  if (!m_snapshots.empty())
    entry.node.mtime_ns = entry.node.ctime_ns = entry.node.atime_ns = m_snapshots.back().time_ns;
  return entry;
}

std::map<std::string, const Snapshot*> SnapshotFs::named(FsEntry::Level level,
                                                         const std::string& key) const {
  std::map<std::string, const Snapshot*> by_name;
  std::map<std::string, int> seen;
  std::vector<const Snapshot*> members;
  for (const auto& snapshot : m_snapshots) {
    const bool member =
        level == FsEntry::Level::host
            ? snapshot.host == key
            : std::find(snapshot.tags.begin(), snapshot.tags.end(), key) != snapshot.tags.end();
    if (member) {
      members.push_back(&snapshot);
      ++seen[time_name(snapshot)];
    }
  }
  for (const Snapshot* snapshot : members) {
    std::string name = time_name(*snapshot);
    if (seen[name] > 1) name += "-" + short_id(*snapshot);
    by_name.emplace(std::move(name), snapshot);
  }
  return by_name;
}

std::shared_ptr<const Tree> SnapshotFs::load_tree(const BlobId& id) {
  if (const auto it = m_trees.find(id); it != m_trees.end()) return it->second;
  const Bytes encoded = m_source.load(BlobType::tree, id);
  auto tree = std::make_shared<const Tree>(decode_tree(encoded));
  if (m_tree_bytes + encoded.size() > k_tree_budget) {
    m_trees.clear();
    m_tree_bytes = 0;
  }
  m_tree_bytes += encoded.size();
  m_trees.emplace(id, tree);
  return tree;
}

std::vector<FsEntry> SnapshotFs::list(const FsEntry& dir) {
  std::vector<FsEntry> entries;
  if (dir.tree) {
    const auto tree = load_tree(*dir.tree);
    for (const auto& node : tree->nodes) {
      if (is_safe_node_name(node.name)) entries.push_back(child_of(dir, node));
    }
    return entries;
  }
  using Level = FsEntry::Level;
  switch (dir.level) {
  case Level::root:
    entries.push_back(made_dir(Level::ids, "ids"));
    entries.push_back(made_dir(Level::hosts, "hosts"));
    entries.push_back(made_dir(Level::tags, "tags"));
    if (!m_snapshots.empty())
      entries.push_back(symlink("latest", "ids/" + short_id(m_snapshots.back())));
    break;
  case Level::ids: {
    std::map<std::string, const Snapshot*> ids;
    for (const auto& snapshot : m_snapshots)
      ids.emplace(short_id(snapshot), &snapshot);
    for (const auto& [name, snapshot] : ids)
      entries.push_back(snapshot_root(*snapshot, name));
    break;
  }
  case Level::hosts:
  case Level::tags: {
    std::map<std::string, bool> keys;
    for (const auto& snapshot : m_snapshots) {
      if (dir.level == Level::hosts)
        keys[snapshot.host] = true;
      else
        for (const auto& tag : snapshot.tags)
          keys[tag] = true;
    }
    for (const auto& [key, unused] : keys)
      if (is_safe_node_name(key))
        entries.push_back(made_dir(dir.level == Level::hosts ? Level::host : Level::tag, key, key));
    break;
  }
  case Level::host:
  case Level::tag: {
    const auto by_name = named(dir.level, dir.key);
    const Snapshot* newest = nullptr;
    std::string newest_name;
    for (const auto& [name, snapshot] : by_name) {
      entries.push_back(snapshot_root(*snapshot, name));
      if (!newest || snapshot->time_ns >= newest->time_ns) {
        newest = snapshot;
        newest_name = name;
      }
    }
    if (newest) entries.push_back(symlink("latest", newest_name));
    break;
  }
  case Level::none:
    throw Error(Code::usage, fmt::format("{} is not a directory",
                                         util::printable(dir.node.name, {.quoted = true})));
  }
  return entries;
}

std::optional<FsEntry> SnapshotFs::lookup(std::string_view path) {
  FsEntry entry = made_dir(FsEntry::Level::root, "");
  std::size_t at = 0;
  while (at < path.size()) {
    const std::size_t slash = path.find('/', at);
    const std::string_view name =
        path.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
    at = slash == std::string_view::npos ? path.size() : slash + 1;
    if (name.empty() || name == ".") continue;
    if (entry.node.type != NodeType::dir) return std::nullopt;
    if (entry.tree) {
      const auto tree = load_tree(*entry.tree);
      const auto it =
          std::lower_bound(tree->nodes.begin(), tree->nodes.end(), name,
                           [](const Node& node, std::string_view n) { return node.name < n; });
      const auto found = it != tree->nodes.end() && it->name == name
                             ? it
                             : std::find_if(tree->nodes.begin(), tree->nodes.end(),
                                            [&](const Node& node) { return node.name == name; });
      if (found == tree->nodes.end() || !is_safe_node_name(found->name)) return std::nullopt;
      entry = child_of(entry, *found);
      continue;
    }
    auto children = list(entry);
    const auto it = std::find_if(children.begin(), children.end(),
                                 [&](const FsEntry& child) { return child.node.name == name; });
    if (it == children.end()) return std::nullopt;
    entry = std::move(*it);
  }
  return entry;
}

std::vector<std::uint64_t> SnapshotFs::blob_lengths(const Node& file) {
  std::vector<std::uint64_t> lengths;
  lengths.reserve(file.content.size());
  for (const auto& id : file.content) {
    const auto length = m_source.plain_length(id);
    if (!length)
      throw Error(Code::not_found,
                  fmt::format("data blob {} is not in the repository's index", blob_id_hex(id)),
                  "run offsite check to see what is missing");
    lengths.push_back(*length);
  }
  return lengths;
}

std::size_t SnapshotFs::read(const FsEntry& file, std::uint64_t offset,
                             std::span<std::uint8_t> out) {
  if (file.node.type != NodeType::file || offset >= file.node.size) return 0;
  const std::uint64_t wanted = std::min<std::uint64_t>(out.size(), file.node.size - offset);
  std::size_t copied = 0;
  const auto lengths = blob_lengths(file.node);
  for (const auto& piece : plan_read(lengths, offset, wanted)) {
    const BlobId& id = file.node.content[piece.blob];
    auto data = m_blobs.find(id);
    if (!data) {
      data = std::make_shared<const Bytes>(m_source.load(BlobType::data, id));
      m_blobs.put(id, data);
    }
    // The index's length is what the blob must hold; anything else is damage
    // that must not turn into shifted bytes.
    if (data->size() != lengths[piece.blob])
      throw Error(Code::integrity,
                  fmt::format("data blob {} holds {} bytes where the index says {}",
                              blob_id_hex(id), data->size(), lengths[piece.blob]),
                  "run offsite check --read-data");
    std::memcpy(out.data() + copied, data->data() + piece.from, piece.count);
    copied += piece.count;
  }
  // FUSE fills a short read with zeros: a file whose blobs end before its
  // recorded size must fail instead.
  if (copied < wanted)
    throw Error(Code::integrity,
                fmt::format("{} holds fewer bytes than its recorded size of {}",
                            util::printable(file.node.name, {.quoted = true}), file.node.size),
                "run offsite check --read-data");
  return copied;
}

} // namespace offsite::core::mount
