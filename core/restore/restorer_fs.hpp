#pragma once
// File system primitives of the restorer. Everything works relative to an
// open directory fd and never follows a symlink in the last component, so a
// name can only ever touch an entry of that directory.

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "core/common/bytes.hpp"
#include "util/fd.hpp"

namespace offsite::core::restore_detail {

// A failure confined to one entry (permission denied, a name too long for the
// target file system...). The restorer reports it as a warning and goes on
// with the next entry. Failures that make going on pointless (a full disk,
// data that fails to authenticate) are offsite::Error and stop the restore.
struct EntryFailure {
  std::string message;
};

// Throws Error(no_space) for ENOSPC/EDQUOT, EntryFailure otherwise.
[[noreturn]] void fail(std::string_view what, int err);

// lstat of `name` in `dirfd`; nullopt when it does not exist or `dirfd` is
// negative (a directory that a dry run would create).
std::optional<struct stat> stat_at(int dirfd, const std::string& name);

// Opens an existing directory without following a symlink.
util::Fd open_dir_at(int dirfd, const std::string& name);

// Removes a non-directory entry (file, symlink, fifo...). Missing is fine.
void unlink_at(int dirfd, const std::string& name);

// Removes `name` from `dirfd` and, for a directory, everything below it,
// through directory fds opened O_NOFOLLOW: a symlink is removed, never
// followed. Throws EntryFailure naming what could not be removed.
void remove_tree_at(int dirfd, const std::string& name, int depth = 0);

// Writes all of `data` at `offset`, retrying short writes.
void write_all_at(int fd, ByteView data, std::uint64_t offset);

// Like write_all_at, but leaves every all-zero piece between 4 KiB boundaries
// of the file unwritten, so it stays a hole; the caller ftruncates to the
// final size afterwards. Returns the number of bytes actually written.
std::uint64_t write_sparse_at(int fd, ByteView data, std::uint64_t offset);

timespec to_timespec(std::int64_t ns);
std::int64_t mtime_ns_of(const struct stat& st);

// Temporary names for entries that are built aside and renamed into place,
// so no half-written entry ever carries its final name.
class TempNames {
public:
  TempNames();
  // Calls `create(name)` with fresh names until it does not fail with EEXIST;
  // `create` returns 0 or an errno value. Returns the name that was created.
  std::string create(const std::string& final_name,
                     const std::function<int(const std::string&)>& create);

private:
  std::mt19937_64 m_random;
};

// Removes a temporary entry when dropped before commit(): a failed or
// interrupted entry leaves nothing behind.
class TempEntry {
public:
  TempEntry(int dirfd, std::string name) : m_dirfd(dirfd), m_name(std::move(name)) {}
  ~TempEntry();
  TempEntry(const TempEntry&) = delete;
  TempEntry& operator=(const TempEntry&) = delete;
  const std::string& name() const { return m_name; }
  // renameat over `final_name`; the temporary is gone afterwards either way.
  void commit(const std::string& final_name);

private:
  int m_dirfd;
  std::string m_name;
  bool m_done = false;
};

} // namespace offsite::core::restore_detail
