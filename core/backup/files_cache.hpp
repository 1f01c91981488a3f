#pragma once
// The files cache: path -> (size, mtime, ctime, inode, content IDs, whether
// it had extended attributes) from the
// last backup, so an unchanged file is not read again. Local, per repository;
// losing it costs only time.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/format/blob.hpp"

namespace offsite::core {

struct FilesCacheEntry {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  std::vector<BlobId> content;
  // The file had no extended attributes (read without error). Setting one
  // changes the ctime, so while size, times and inode match, an unchanged
  // file's attributes need not be listed again: one path lookup less per
  // file in a re-backup.
  bool no_xattrs = false;
};

// Thread-safe.
class FilesCache {
public:
  // A missing or unreadable cache file gives an empty cache.
  static FilesCache load(const std::filesystem::path& file);

  FilesCache() = default;
  FilesCache(FilesCache&& other) noexcept;

  std::optional<FilesCacheEntry> find(const std::string& path) const;

  // Records an entry for the cache that save() writes; entries not recorded
  // during this run are dropped, so deleted files do not accumulate.
  void record(const std::string& path, FilesCacheEntry entry);

  // Atomic (temp file, fsync, rename, fsync dir). Creates parent dirs.
  void save(const std::filesystem::path& file) const;

private:
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, FilesCacheEntry> m_old;
  std::unordered_map<std::string, FilesCacheEntry> m_new;
};

} // namespace offsite::core
