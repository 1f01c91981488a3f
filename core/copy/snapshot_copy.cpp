#include "core/copy/snapshot_copy.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "core/backup/archiver_pipeline.hpp"
#include "core/common/error.hpp"
#include "core/restore/blob_prefetcher.hpp"
#include "util/path.hpp"
#include "util/printable.hpp"

namespace offsite::core {

namespace {

// Chunks being hashed and sealed for the destination, at most: as a backup.
constexpr std::size_t k_max_in_flight_bytes = std::size_t{64} << 20;

// The error `e` raised while copying `path`, naming it: a user told that a
// blob is damaged needs to know which file lost it.
[[noreturn]] void rethrow_at(const Error& e, const std::string& path) {
  throw Error(e.code(), fmt::format("{}: {}", util::printable(path), e.what()), e.hint());
}

} // namespace

bool has_copy_of(const Snapshot& source, const std::vector<Snapshot>& destination) {
  const std::string& original = original_of(source);
  return std::any_of(destination.begin(), destination.end(),
                     [&](const Snapshot& s) { return original_of(s) == original; });
}

Snapshot copied_snapshot(const Snapshot& source, const BlobId& tree,
                         const std::vector<Snapshot>& source_snapshots,
                         const std::vector<Snapshot>& destination) {
  Snapshot copy = source;
  copy.id.clear();
  copy.tree = tree;
  copy.original = original_of(source);
  copy.parent.reset();
  if (!source.parent) return copy;
  // The parent is an ID of the source; what it is the original of (itself,
  // when the source holds it as backup saved it) is what its copy names.
  std::string parent_original = *source.parent;
  for (const Snapshot& s : source_snapshots)
    if (s.id == *source.parent) parent_original = original_of(s);
  for (const Snapshot& s : destination)
    if (original_of(s) == parent_original) copy.parent = s.id;
  return copy;
}

SnapshotCopier::SnapshotCopier(Repository& from, Repository& to, CopyReporter& reporter,
                               unsigned threads)
    : m_from(from), m_to(to), m_reporter(reporter),
      m_prefetch(std::make_unique<BlobPrefetcher>(from)) {
  if (threads == 0) threads = std::max(std::thread::hardware_concurrency(), 1u);
  m_pipeline = std::make_unique<ChunkPipeline>(to, threads, k_max_in_flight_bytes, false);
}

SnapshotCopier::~SnapshotCopier() = default;

SnapshotCopier::ContentKey SnapshotCopier::content_key(const std::vector<BlobId>& content) {
  return crypto::sha256(ByteView(content.empty() ? nullptr : content.front().data(),
                                 content.size() * sizeof(BlobId)));
}

BlobId SnapshotCopier::copy_tree(const BlobId& root) {
  if (m_contents.size() > k_max_remembered) m_contents.clear();
  if (m_trees.size() > k_max_remembered) m_trees.clear();
  const BlobId id = copy_dir(root, "/");
  m_pipeline->drain();
  return id;
}

BlobId SnapshotCopier::copy_dir(const BlobId& source_tree, const std::string& path) {
  poll_cancel(); // also where no file needs reading: a walk of copied trees
  if (const auto it = m_trees.find(source_tree); it != m_trees.end()) return it->second;
  Tree tree;
  try {
    tree = decode_tree(m_from.load_blob(BlobType::tree, source_tree));
  } catch (const Error& e) {
    rethrow_at(e, path);
  }

  // Files first, in order: the prefetcher is told every content this
  // directory still needs before the first is taken, and subdirectories
  // announce theirs only after these are all taken.
  struct Pending {
    std::size_t node = 0;
    ContentKey key{};
    std::shared_ptr<ContentSlots> slots; // null: copied before, in m_contents
    bool stream = false;                 // the first file here with this content
  };
  std::vector<Pending> pending;
  for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
    const Node& node = tree.nodes[i];
    if (node.type != NodeType::file || node.content.empty()) continue;
    Pending p{i, content_key(node.content), nullptr, false};
    if (!m_contents.contains(p.key)) {
      // Also found when it is being cut still, for this directory or one above.
      auto [it, fresh] = m_started.try_emplace(p.key, nullptr);
      if (fresh) {
        it->second = std::make_shared<ContentSlots>();
        m_prefetch->expect(node.content);
      }
      p.slots = it->second;
      p.stream = fresh;
    }
    pending.push_back(std::move(p));
  }
  for (const Pending& p : pending) {
    if (!p.stream) continue;
    const Node& node = tree.nodes[p.node];
    const std::string file_path = util::join_path(path, node.name);
    try {
      rechunk(node.content, file_path, p.slots);
    } catch (const Error& e) {
      if (!e.is_data_damage()) throw;
      rethrow_at(e, file_path);
    }
  }

  for (Node& node : tree.nodes)
    if (node.type == NodeType::dir && node.subtree)
      node.subtree = copy_dir(*node.subtree, util::join_path(path, node.name));

  for (const Pending& p : pending) {
    Node& node = tree.nodes[p.node];
    if (const auto it = m_contents.find(p.key); it != m_contents.end()) {
      node.content = it->second;
    } else {
      m_pipeline->wait_for(*p.slots);
      node.content = p.slots->take();
      m_contents.emplace(p.key, node.content);
      m_started.erase(p.key);
    }
  }
  const BlobId id = m_to.save_blob(BlobType::tree, encode_tree(tree));
  m_trees.emplace(source_tree, id);
  return id;
}

void SnapshotCopier::rechunk(const std::vector<BlobId>& content, const std::string& path,
                             const std::shared_ptr<ContentSlots>& slots) {
  const Chunker& chunker = m_to.chunker();
  m_progress.path = path;
  m_buffer.clear();
  std::size_t pos = 0; // start of the bytes not yet cut into chunks
  const auto cut = [&](bool at_eof) {
    while (pos < m_buffer.size()) {
      const ByteView view(m_buffer.data() + pos, m_buffer.size() - pos);
      const std::size_t len = chunker.next_boundary(view, at_eof);
      if (len == 0) break; // needs more bytes
      poll_cancel();
      m_pipeline->submit(slots,
                         Bytes(view.begin(), view.begin() + static_cast<std::ptrdiff_t>(len)));
      pos += len;
    }
    m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(pos));
    pos = 0;
  };
  for (const BlobId& id : content) {
    const Bytes blob = m_prefetch->take(id);
    m_buffer.insert(m_buffer.end(), blob.begin(), blob.end());
    m_progress.bytes_read += blob.size();
    cut(false);
    m_reporter.progress(m_progress);
  }
  cut(true);
  ++m_progress.files;
}

void SnapshotCopier::poll_cancel() {
  m_pipeline->check();
  if (m_reporter.cancelled())
    throw Error(Code::interrupted, "copy interrupted",
                "run the same copy again: snapshots already copied are skipped, and data "
                "already stored is not uploaded again");
}

} // namespace offsite::core
