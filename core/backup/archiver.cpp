// backup(): setup, tree finalization and the snapshot. The walk is in
// archiver_walk.cpp, file content in archiver_file.cpp; archiver_impl.hpp
// explains how the pieces fit.

#include "core/backup/archiver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/backup/archiver_impl.hpp"
#include "core/backup/backup_parent.hpp"
#include "core/backup/backup_paths.hpp"
#include "core/backup/same_targets.hpp"
#include "core/common/crash_point.hpp"
#include "core/common/error.hpp"
#include "core/common/host.hpp"

namespace offsite::core {

namespace archiver_detail {

namespace {

// Finished directories waiting on chunks before the walk blocks for them.
constexpr std::size_t k_max_finished_dirs = 4096;
// Large reads keep syscalls rare; two maximum chunks always fit after compaction.
constexpr std::size_t k_read_buffer = std::size_t{8} * 1024 * 1024;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t pos = 1;
  while (pos < path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

} // namespace

Archiver::Archiver(Repository& repo, FilesCache* cache, const BackupOptions& options,
                   BackupReporter& reporter)
    : m_repo(repo), m_cache(cache), m_options(options), m_reporter(reporter),
      m_summary(m_result.snapshot.summary), m_started(std::chrono::steady_clock::now()) {}

std::string Archiver::host() const {
  return m_options.host.empty() ? local_host_name() : m_options.host;
}

BackupResult Archiver::run() {
  const std::vector<std::string> paths =
      backup_snapshot_paths(m_options.paths, m_options.stdin_name);
  if (!m_options.stdin_name) {
    // Like restic: a missing path is an error before anything is stored.
    for (const auto& p : paths) {
      struct stat st {};
      if (::lstat(p.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
        throw Error(Code::not_found, "path " + p + " does not exist",
                    "check the spelling; nothing was stored");
    }
  }

  heal_index();
  m_parent = m_options.parent;
  if (!m_parent && m_options.find_parent) m_parent = select_parent(m_repo, host(), paths);

  const RepositoryStats before = m_repo.stats();
  unsigned threads = m_options.threads ? m_options.threads : std::thread::hardware_concurrency();
  m_pipeline = std::make_unique<ChunkPipeline>(m_repo, std::max(threads, 1u),
                                               m_options.max_in_flight_bytes, m_options.dry_run);
  const auto& params = m_repo.chunker().params();
  m_buffer.resize(std::max(k_read_buffer, 2 * params.max_size));

  try {
    if (m_options.stdin_name)
      walk_stdin();
    else
      walk_paths(paths);
    m_pipeline->drain();
    finalize_ready(true);
  } catch (const Cancelled&) {
    // Keep what was uploaded: the next run finds those blobs in the index.
    m_pipeline->drain();
    if (!m_options.dry_run) m_repo.flush();
    throw Error(Code::interrupted,
                "backup interrupted; what was uploaded is kept and the next backup reuses it",
                "run the backup again to finish it");
  }
  m_dry_counts = m_pipeline->dry_run_counts();
  m_pipeline.reset();
  m_parent_trees.reset();

  if (!m_root_tree) throw Error(Code::generic, "internal error: the backup produced no root tree");
  // Flush first: the snapshot may only refer to data that is durable.
  if (!m_options.dry_run) m_repo.flush();
  Snapshot snapshot = make_snapshot(paths, before);
  if (skip_as_unchanged(paths)) {
    m_result.skipped = true;
  } else if (!m_options.dry_run) {
    crash_point("client-before-snapshot");
    m_result.snapshot_id = m_repo.save_snapshot(snapshot);
    snapshot.id = m_result.snapshot_id;
  }
  m_result.snapshot = std::move(snapshot);
  return std::move(m_result);
}

bool Archiver::skip_as_unchanged(const std::vector<std::string>& paths) {
  // A run that could not read a file is saved (partial) and says so: the
  // failure is news even when the tree looks the same.
  if (!m_options.skip_if_unchanged || !m_parent || m_options.dry_run || m_summary.files_failed > 0)
    return false;
  try {
    return same_targets(m_repo, m_repo.load_snapshot(*m_parent).tree, *m_root_tree, paths);
  } catch (const Error& e) {
    // The parent cannot be compared: what was read is saved as usual.
    warn(*m_parent, std::string("cannot compare with the parent snapshot: ") + e.what(), false);
    return false;
  }
}

Snapshot Archiver::make_snapshot(const std::vector<std::string>& paths,
                                 const RepositoryStats& before) {
  Snapshot s;
  s.time_ns = m_options.time_ns ? m_options.time_ns : now_ns();
  s.host = host();
  s.user = local_user_name();
  s.paths = paths;
  s.tags = m_options.tags;
  s.excludes = m_options.excludes.patterns();
  s.tree = *m_root_tree;
  s.parent = m_parent;
  s.program_version = OFFSITE_VERSION;
  m_result.partial = m_summary.files_failed > 0;
  s.partial = m_result.partial;
  s.summary = m_summary;
  if (m_options.dry_run) {
    // Nothing reached the repository: report what a real run would add.
    s.summary.data_blobs_new = m_dry_counts.data_blobs_new;
    s.summary.bytes_added = m_dry_counts.bytes_new_raw;
  } else {
    const RepositoryStats after = m_repo.stats();
    s.summary.data_blobs_new = after.data_blobs_new - before.data_blobs_new;
    s.summary.tree_blobs_new = after.tree_blobs_new - before.tree_blobs_new;
    s.summary.bytes_added = after.bytes_new_stored - before.bytes_new_stored;
  }
  s.summary.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
  return s;
}

void Archiver::walk_paths(const std::vector<std::string>& paths) {
  PathTrie trie;
  for (const auto& p : paths) {
    PathTrie* node = &trie;
    for (const auto& c : components(p)) {
      if (node->target) break; // an ancestor is backed up whole already
      node = &node->children[c];
    }
    if (!node->target) {
      node->target = true;
      node->children.clear(); // descendants given separately are covered
    }
  }

  auto root = std::make_unique<DirState>();
  Fd fd(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw_errno("cannot open the root directory", errno);
  if (trie.target) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat the root directory", errno);
    walk_dir(fd.get(), "/", *root, st.st_dev);
  } else {
    walk_trie(trie, fd.get(), "/", *root);
  }
  finish_dir(std::move(root));
}

void Archiver::walk_stdin() {
  auto root = std::make_unique<DirState>();
  Node node;
  node.name = *m_options.stdin_name;
  node.type = NodeType::file;
  node.mode = 0600;
  node.uid = static_cast<std::uint32_t>(::geteuid());
  node.gid = static_cast<std::uint32_t>(::getegid());
  node.user = m_names.user(::geteuid());
  node.group = m_names.group(::getegid());
  const std::int64_t t = m_options.time_ns ? m_options.time_ns : now_ns();
  node.mtime_ns = node.atime_ns = node.ctime_ns = t;

  const std::string path = "/" + node.name;
  auto slots = std::make_shared<ContentSlots>();
  // Waits for input between reads: a producer that pauses must not hold off
  // Ctrl-C.
  const auto size = read_and_chunk(m_options.stdin_fd, slots, path, true);
  if (!size) throw_errno("cannot read stdin", errno);
  // A signal that came with the last bytes must not leave a snapshot of a
  // stream the user meant to stop.
  poll_cancel();

  node.size = *size;
  ++m_result.files_content_read;
  ++m_summary.files_new;
  m_summary.bytes_processed += *size;
  ++m_progress.files_done;
  report_progress(path);
  root->nodes.push_back(std::move(node));
  root->pending.push_back(PendingFile{0, std::move(slots), false, path, {}});
  finish_dir(std::move(root));
}

void Archiver::finish_dir(std::unique_ptr<DirState> dir) {
  m_finished.push_back(std::move(dir));
  finalize_ready(m_finished.size() > k_max_finished_dirs);
}

void Archiver::finalize_ready(bool wait_all) {
  while (!m_finished.empty()) {
    // Past the cap the walk blocks until the FIFO is short again.
    const bool must_wait = wait_all || m_finished.size() > k_max_finished_dirs / 2;
    DirState& front = *m_finished.front();
    for (const auto& p : front.pending) {
      if (p.slots->complete()) continue;
      if (!must_wait) {
        m_pipeline->check();
        return;
      }
      m_pipeline->wait_for(*p.slots);
    }
    finalize(front);
    m_finished.pop_front();
  }
}

void Archiver::finalize(DirState& dir) {
  m_pipeline->check();
  for (auto& p : dir.pending) {
    Node& node = dir.nodes[p.index];
    node.content = p.slots->take();
    if (p.record_in_cache && m_cache) {
      p.cache_entry.content = node.content;
      m_cache->record(p.path, p.cache_entry);
    }
  }
  dir.pending.clear();

  Tree tree{std::move(dir.nodes)};
  Bytes encoded = encode_tree(tree);
  BlobId id{};
  if (m_options.dry_run) {
    id = m_repo.codec().id_of(encoded);
    if (!m_repo.has_blob(id) && m_dry_trees.insert(id).second) ++m_summary.tree_blobs_new;
  } else {
    id = m_repo.save_blob(BlobType::tree, encoded);
  }
  if (dir.parent)
    dir.parent->nodes[dir.index_in_parent].subtree = id;
  else
    m_root_tree = id;
}

const Tree* Archiver::previous_tree(DirState& dir) {
  if (!m_parent) return nullptr;
  // Loaded on first use: with a warm files cache most directories never
  // need their old tree, and each load may be a round trip to the server.
  if (!dir.previous_loaded) {
    dir.previous_loaded = true;
    try {
      if (!dir.parent) {
        Snapshot parent = m_repo.load_snapshot(*m_parent);
        dir.previous = decode_tree(m_repo.load_blob(BlobType::tree, parent.tree));
        m_parent_trees = std::make_unique<TreePrefetcher>(m_repo);
      } else if (const Node* node = previous_node(*dir.parent, dir.name);
                 node && node->type == NodeType::dir && node->subtree && m_parent_trees) {
        dir.previous = m_parent_trees->take(*node->subtree);
      }
      if (dir.previous) {
        // The walk goes down into these next, in this (name) order.
        std::vector<BlobId> subtrees;
        for (const auto& node : dir.previous->nodes)
          if (node.type == NodeType::dir && node.subtree) subtrees.push_back(*node.subtree);
        m_parent_trees->expect_next(subtrees);
      }
    } catch (const Error& e) {
      // Only costs re-reading the files below.
      if (!dir.parent)
        warn(*m_parent,
             std::string("cannot use the parent snapshot, every file is read: ") + e.what(), false);
    }
  }
  return dir.previous ? &*dir.previous : nullptr;
}

const Node* Archiver::previous_node(DirState& dir, const std::string& name) {
  const Tree* tree = previous_tree(dir);
  if (!tree) return nullptr;
  // Trees are written sorted by name; a tree that is not finds nothing, which
  // only costs re-reading.
  const auto& nodes = tree->nodes;
  auto it = std::lower_bound(nodes.begin(), nodes.end(), name,
                             [](const Node& n, const std::string& key) { return n.name < key; });
  if (it == nodes.end() || it->name != name) return nullptr;
  return &*it;
}

void Archiver::warn(const std::string& path, const std::string& message, bool failed) {
  ++m_result.warnings;
  if (failed) ++m_summary.files_failed;
  m_reporter.warning(path, message);
}

void Archiver::poll_cancel() {
  if (m_reporter.cancelled()) throw Cancelled{};
}

void Archiver::report_progress(const std::string& path) {
  m_progress.current_path = path;
  m_reporter.progress(m_progress);
}

} // namespace archiver_detail

BackupResult backup(Repository& repo, FilesCache* cache, const BackupOptions& options,
                    BackupReporter& reporter) {
  archiver_detail::Archiver archiver(repo, cache, options, reporter);
  return archiver.run();
}

} // namespace offsite::core
