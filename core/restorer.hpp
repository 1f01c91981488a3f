#pragma once
// Restore a snapshot (or a sub-path of it) into a target directory. All file
// system work goes through directory file descriptors with O_NOFOLLOW, so
// nothing in a snapshot (names with '/', '..', absolute paths, symlinks that
// point out) can make it write outside the target.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/exclude.hpp"
#include "core/repository.hpp"
#include "core/snapshot.hpp"

namespace offsite::core {

enum class Overwrite { always, if_changed, never };

struct RestoreOptions {
  std::filesystem::path target;
  std::string sub_path;     // absolute path inside the snapshot; "" = everything
  PathMatcher includes;     // empty = everything
  PathMatcher excludes;
  bool verify = false;      // re-read what was written and compare
  Overwrite overwrite = Overwrite::always;
  std::optional<bool> ownership; // default: when running as root
};

struct RestoreProgress {
  std::uint64_t files_done = 0;
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
  std::string current_path;
};

class RestoreReporter {
public:
  virtual ~RestoreReporter() = default;
  virtual void warning(const std::string& path, const std::string& message) {
    (void)path;
    (void)message;
  }
  virtual void progress(const RestoreProgress& progress) { (void)progress; }
  virtual bool cancelled() { return false; }
};

struct RestoreResult {
  std::uint64_t files = 0;
  std::uint64_t dirs = 0;
  std::uint64_t other = 0;
  std::uint64_t bytes = 0;
  std::uint64_t skipped = 0;
  std::uint64_t warnings = 0;
  std::uint64_t verified = 0;
};

// Throws Error(integrity) for unsafe names or corrupted data (nothing is
// written for an unsafe entry), Error(not_found) for an unknown sub_path,
// Error(integrity) when --verify finds a difference.
RestoreResult restore(Repository& repo, const Snapshot& snapshot, const RestoreOptions& options,
                      RestoreReporter& reporter);

} // namespace offsite::core
