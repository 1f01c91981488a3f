#pragma once
// Backup: walk the given paths, chunk and store file contents, build trees
// bottom-up, save a snapshot. Reading and chunking run on the calling thread;
// keyed hashing, compression and encryption on a worker pool; memory in
// flight is bounded.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/backup/dir_listing.hpp"
#include "core/backup/exclude.hpp"
#include "core/backup/files_cache.hpp"
#include "core/format/snapshot.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

struct BackupOptions {
  std::vector<std::filesystem::path> paths; // normalised by backup_snapshot_paths
  PathMatcher excludes;
  ContentMarkers markers; // directories whose contents are left out
  bool one_file_system = false;
  std::vector<std::string> tags;
  std::string host;                      // "" = gethostname()
  std::optional<std::string> stdin_name; // back up stdin_fd as this file name
  int stdin_fd = 0;
  bool dry_run = false;              // read and chunk, store nothing
  std::optional<std::string> parent; // snapshot id, recorded in the snapshot
  // Without `parent`: compare against select_parent's choice (the newest
  // snapshot of the same host and paths).
  bool find_parent = false;
  // --force: read every file, even one the files cache or the parent shows
  // unchanged (a file whose content changed without its size, times or inode).
  bool reread = false;
  // --skip-if-unchanged: save no snapshot when each path holds the same as
  // in the parent (same_targets.hpp).
  bool skip_if_unchanged = false;
  unsigned threads = 0;     // 0 = one per core
  std::int64_t time_ns = 0; // 0 = now; tests inject times
  std::size_t max_in_flight_bytes = std::size_t{16} * 1024 * 1024;
};

struct BackupProgress {
  std::uint64_t files_done = 0;
  std::uint64_t bytes_done = 0;
  std::string current_path;
};

// Callbacks come from the thread that called backup().
class BackupReporter {
public:
  virtual ~BackupReporter() = default;
  virtual void warning(const std::string& path, const std::string& message) {
    (void)path;
    (void)message;
  }
  // Called often; the reporter throttles.
  virtual void progress(const BackupProgress& progress) { (void)progress; }
  // Polled; when true the archiver stops, flushes what was uploaded so the next
  // run reuses it, and throws Error(Code::interrupted).
  virtual bool cancelled() { return false; }
};

struct BackupResult {
  std::string snapshot_id; // empty on dry run, or when skipped
  // skip_if_unchanged found the tree equal to the parent's: nothing saved.
  bool skipped = false;
  Snapshot snapshot;
  bool partial = false; // some files could not be read
  std::uint64_t warnings = 0;
  std::uint64_t files_content_read = 0; // files whose content was read
  // Found at the start (index_sync.hpp): indexed packs the store lost, whose
  // blobs were stored again as needed; packs an interrupted run left
  // outside the index, now indexed and reused.
  std::uint64_t packs_missing = 0;
  std::uint64_t packs_recovered = 0;
};

BackupResult backup(Repository& repo, FilesCache* cache, const BackupOptions& options,
                    BackupReporter& reporter);

} // namespace offsite::core
