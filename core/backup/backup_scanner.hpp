#pragma once
// Counts what a backup will read, on a thread of its own, so that a progress
// line can show a percentage and an ETA (restic runs the same kind of
// scanner). It walks as the archiver does (backup_snapshot_paths, a path
// below another one covered by it, directories opened with O_NOFOLLOW and
// entries lstat'ed, so symlinks are never followed; the same excludes,
// --exclude-caches and --one-file-system), but only lists directories and
// stats files, at the lowest CPU priority. Files that change meanwhile make
// the total an estimate.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/backup/archiver.hpp"

namespace offsite::core {

class BackupScanner {
public:
  // Starts scanning `options.paths` (not stdin) at once; copies what it
  // needs of `options`. Error(usage) as backup_snapshot_paths.
  explicit BackupScanner(const BackupOptions& options);
  // Asks the scan to stop and joins it (std::jthread).
  ~BackupScanner() = default;

  BackupScanner(const BackupScanner&) = delete;
  BackupScanner& operator=(const BackupScanner&) = delete;

  // Thread-safe. The totals grow until done() is true.
  bool done() const { return m_done.load(std::memory_order_acquire); }
  std::uint64_t files() const { return m_files.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const { return m_bytes.load(std::memory_order_relaxed); }

private:
  void run(const std::vector<std::string>& paths, const std::stop_token& stop);
  void scan_entry(int dir_fd, const std::string& name, const std::string& path,
                  std::optional<dev_t> root_dev, const std::stop_token& stop);
  void scan_dir(int dir_fd, const std::string& path, dev_t root_dev, const std::stop_token& stop);
  void count_file(std::uint64_t size);

  const PathMatcher m_excludes;
  const ContentMarkers m_markers;
  const bool m_one_file_system;
  std::atomic<std::uint64_t> m_files{0};
  std::atomic<std::uint64_t> m_bytes{0};
  std::atomic<bool> m_done{false};
  std::jthread m_thread; // last: starts once the members above exist
};

} // namespace offsite::core
