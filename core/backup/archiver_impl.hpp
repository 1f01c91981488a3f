#pragma once
// Internals of backup(), shared by archiver.cpp (setup, trees, snapshot),
// archiver_walk.cpp (directories and entries) and archiver_file.cpp (file
// content and the files cache).
//
// Shape of a run. The calling thread walks depth-first in name order. Every
// directory gets a DirState holding its nodes; when its walk ends it moves to
// a FIFO of finished directories. Files' chunks are still in flight on the
// worker pool, so a finished directory is encoded and saved as a tree blob
// only once all its files' slots are complete. Post-order walking puts every
// child directory ahead of its parent in that FIFO, so finalizing from the
// front always has the children's subtree IDs ready. The FIFO is normally
// short (a directory waits only on its own last chunks); it is capped anyway.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/backup/archiver.hpp"
#include "core/backup/archiver_pipeline.hpp"
#include "core/backup/fs_metadata.hpp"
#include "core/format/tree.hpp"
#include "core/repo/tree_prefetcher.hpp"
#include "util/fd.hpp"
#include "util/path.hpp"

namespace offsite::core::archiver_detail {

// Declared here so the archiver's files name them as before.
using util::Fd;
using util::join_path;

// The given paths as a trie of components: "/home/a/docs" and "/home/a/pics"
// share "home" and "a". A node marked `target` is walked for real; the nodes
// above it become directories with their real metadata and only the trie's
// children as entries.
struct PathTrie {
  std::map<std::string, PathTrie> children; // std::string orders by bytes
  bool target = false;
};

struct PendingFile {
  std::size_t index = 0; // into DirState::nodes
  std::shared_ptr<ContentSlots> slots;
  bool record_in_cache = false;
  std::string path;
  FilesCacheEntry cache_entry; // content filled in when the slots complete
};

struct DirState {
  DirState* parent = nullptr; // nullptr for the root tree
  std::size_t index_in_parent = 0;
  std::vector<Node> nodes;
  std::vector<PendingFile> pending;
  std::string name; // in the parent directory; "" for the root
  bool previous_loaded = false;
  std::optional<Tree> previous; // this directory in the parent snapshot
};

// Thrown inside the walk when the reporter asks to stop.
struct Cancelled {};

class Archiver {
public:
  Archiver(Repository& repo, FilesCache* cache, const BackupOptions& options,
           BackupReporter& reporter);
  BackupResult run();

private:
  // archiver.cpp
  std::string host() const; // as recorded: --host or this machine's name
  void walk_paths(const std::vector<std::string>& paths);
  void walk_stdin();
  void finish_dir(std::unique_ptr<DirState> dir);
  void finalize_ready(bool wait_all);
  void finalize(DirState& dir);
  // The parent snapshot's version of `dir` / of its entry `name`, or null.
  // Pointers stay valid while `dir` lives.
  const Tree* previous_tree(DirState& dir);
  const Node* previous_node(DirState& dir, const std::string& name);
  void warn(const std::string& path, const std::string& message, bool failed);
  void poll_cancel();
  void report_progress(const std::string& path);
  Snapshot make_snapshot(const std::vector<std::string>& paths, const RepositoryStats& before);
  // --skip-if-unchanged applies: the paths hold what the parent holds, and
  // nothing failed. A parent that cannot be read is a warning, and false.
  bool skip_as_unchanged(const std::vector<std::string>& paths);

  // archiver_heal.cpp
  // Before anything is stored: the index made to match the packs the store
  // holds (index_sync.hpp), each loss reported once as a warning.
  void heal_index();

  // archiver_walk.cpp
  void walk_trie(const PathTrie& trie, int dir_fd, const std::string& path, DirState& into);
  void walk_dir(int dir_fd, const std::string& path, DirState& state, dev_t root_dev);
  void process_entry(int dir_fd, const std::string& name, const std::string& path, DirState& into,
                     std::optional<dev_t> root_dev);
  void back_up_dir(int dir_fd, const std::string& path, const struct stat& st, Node node,
                   DirState& into, dev_t root_dev);
  // From `fd` when >= 0, else from `path` without following a symlink.
  // Returns false when they could not be read (warned).
  bool add_xattrs(Node& node, const std::string& path, int fd);

  // archiver_file.cpp
  void back_up_file(int dir_fd, const std::string& path, Node node, DirState& into);
  // Reads `fd` to its end, submitting chunks. Returns the bytes read, or
  // nullopt with errno set when a read fails. `wait`: poll for input before
  // each read, checking for cancellation (a pipe whose writer may pause).
  std::optional<std::uint64_t> read_and_chunk(int fd, const std::shared_ptr<ContentSlots>& slots,
                                              const std::string& path, bool wait = false);
  bool all_blobs_present(const std::vector<BlobId>& ids) const;

  Repository& m_repo;
  FilesCache* m_cache;
  const BackupOptions& m_options;
  BackupReporter& m_reporter;
  std::optional<std::string> m_parent; // given or selected; set by run()
  // The parent's trees, loaded ahead of the walk; made when the first is needed.
  std::unique_ptr<TreePrefetcher> m_parent_trees;
  std::unique_ptr<ChunkPipeline> m_pipeline;
  OwnerNames m_names;
  BackupResult m_result;
  SnapshotSummary& m_summary;
  BackupProgress m_progress;
  std::deque<std::unique_ptr<DirState>> m_finished;
  std::optional<BlobId> m_root_tree;
  Bytes m_buffer;
  std::unordered_set<BlobId, BlobIdHash> m_dry_trees; // dry run: new tree IDs
  PipelineCounts m_dry_counts;
  std::chrono::steady_clock::time_point m_started;
};

} // namespace offsite::core::archiver_detail
