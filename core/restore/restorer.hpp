#pragma once
// Restore a snapshot (or a sub-path of it) into a target directory. All file
// system work goes through directory file descriptors with O_NOFOLLOW, so
// nothing in a snapshot (names with '/', '..', absolute paths, symlinks that
// point out) can make it write outside the target.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backup/exclude.hpp"
#include "core/format/snapshot.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

// What to do with an entry that already exists in the target. An existing
// directory is always reused for a directory. A directory where the snapshot
// has a non-directory is never deleted (warning, skipped); a non-directory
// where the snapshot has a directory (e.g. a symlink) is replaced unless
// `never`. Replacing is atomic (temporary name + rename), and a symlink in
// the target is never followed.
enum class Overwrite {
  always,     // replace
  if_changed, // skip a file of the same size and mtime (a symlink with the same target)
  never,      // keep what exists, count it as skipped
};

struct RestoreOptions {
  std::filesystem::path target; // created (mkdir -p) after the pre-scan passed
  // Absolute path inside the snapshot; "" or "/" = everything, recreated as
  // target/home/a/... . "/home/a/docs" restores as target/docs/... (like
  // restic); a file as target/<name>. "." and ".." are resolved lexically.
  std::string sub_path;
  PathMatcher includes; // empty = everything; both match snapshot paths ("/home/a/x")
  PathMatcher excludes;
  bool verify = false; // re-read what was written and compare
  Overwrite overwrite = Overwrite::always;
  std::optional<bool> ownership; // default: when running as root
  // Decide everything a restore would do and report it, changing nothing:
  // no blob is fetched, the target is not even created.
  bool dry_run = false;
  // Remove what the target holds that the snapshot does not, in every
  // directory the restore enters (not outside the restored part; nothing
  // below a directory whose listing is damaged). Never follows a symlink:
  // one pointing out of the target is removed itself, its target untouched.
  bool delete_extra = false;
};

// What a restore does (or, with dry_run, would do) with one entry.
enum class RestoreAction {
  write,     // new in the target
  overwrite, // replaces what exists
  skip,      // kept as it is (overwrite policy, in the way, not restorable here)
  remove,    // --delete: in the target, not in the snapshot
};
std::string_view restore_action_name(RestoreAction action);

struct RestoreProgress {
  std::uint64_t files_done = 0;
  std::uint64_t bytes_done = 0;  // written, hardlinked or skipped file bytes
  std::uint64_t bytes_total = 0; // of the selected files, known before writing starts
  std::string current_path;      // raw bytes: escape before printing
};

// Callbacks come from the thread that called restore(). Paths are snapshot
// paths ("/home/a/x") as raw bytes; the reporter escapes them for display.
class RestoreReporter {
public:
  virtual ~RestoreReporter() = default;
  virtual void warning(const std::string& path, const std::string& message) {
    (void)path;
    (void)message;
  }
  // Called after every blob and entry; the reporter throttles.
  virtual void progress(const RestoreProgress& progress) { (void)progress; }
  // Each entry's fate (directories that are entered are not reported).
  virtual void entry(const std::string& path, RestoreAction action) {
    (void)path;
    (void)action;
  }
  // Polled; when true the restore stops with Error(interrupted). Every entry
  // already in place is complete: files are written under a temporary name.
  virtual bool cancelled() { return false; }
};

// An entry a restore could not bring back because the repository's data for
// it is damaged or missing.
struct DamagedEntry {
  std::string path;       // snapshot path, raw bytes
  std::string reason;     // the repository's error: names the pack or blob
  bool directory = false; // its listing could not be read: nothing below it restored
};

struct RestoreResult {
  std::uint64_t files = 0;           // regular files, hardlinks included
  std::uint64_t dirs = 0;            // directories created or reused (not the target)
  std::uint64_t other = 0;           // symlinks, fifos, devices
  std::uint64_t bytes = 0;           // content bytes written
  std::uint64_t skipped = 0;         // kept by the overwrite policy, sockets, devices without root
  std::uint64_t overwritten = 0;     // files and other entries that replaced an existing one
  std::uint64_t deleted = 0;         // entries removed by delete_extra (a directory counts once)
  std::uint64_t warnings = 0;        // entries or metadata that could not be restored
  std::uint64_t verified = 0;        // files read back and found equal (with verify)
  std::vector<DamagedEntry> damaged; // left out: their data is damaged or missing
};

// Before writing anything, loads every selected tree and throws
// Error(integrity) if any name is unsafe (empty, ".", "..", '/' or NUL) or
// appears twice in one directory: a hostile snapshot leaves no trace, not
// even the target. Error(not_found) for an unknown sub_path.
// Damaged or missing data stops only what depends on it: a file whose blobs
// cannot be loaded is left out (no partial file is left behind), a
// directory whose listing cannot be read is created empty with its
// metadata, each is a warning and an entry of `damaged`, and everything
// else is restored. Error(no_space), a store that cannot be reached and a
// cancel stop the restore; a failure confined to one entry (permissions,
// unsupported xattrs) is a warning. With verify,
// files that read back differently are warnings and, at the end,
// Error(integrity) with their count. Ownership is restored by name when
// that user/group exists here, else by number.
RestoreResult restore(Repository& repo, const Snapshot& snapshot, const RestoreOptions& options,
                      RestoreReporter& reporter);

} // namespace offsite::core
