#pragma once
// The files cache: path -> (size, mtime, ctime, inode, content IDs, whether
// it had extended attributes) from the
// last backup, so an unchanged file is not read again. Local, per repository;
// losing it costs only time.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/common/bytes.hpp"
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

// Thread-safe. Held as the bytes of its file, not as a map of entries: a
// re-backup of 78k unchanged files spent a quarter of its time allocating,
// copying and freeing two maps of entries with a string and a vector each.
class FilesCache {
public:
  // A missing or unreadable cache file gives an empty cache.
  static FilesCache load(const std::filesystem::path& file);

  FilesCache() = default;
  FilesCache(FilesCache&& other) noexcept;

  std::optional<FilesCacheEntry> find(const std::string& path) const;

  // Records an entry for the cache that save() writes; entries not recorded
  // during this run are dropped, so deleted files do not accumulate.
  void record(const std::string& path, const FilesCacheEntry& entry);

  // Atomic (temp file, fsync, rename, fsync dir). Creates parent dirs.
  void save(const std::filesystem::path& file) const;

private:
  // The cache file as loaded (checked whole), and where each path's fields
  // start in it: an entry is decoded when it is asked for. Not changed after
  // load(), so find() needs no lock.
  Bytes m_loaded;
  std::uint32_t m_loaded_version = 0;
  std::unordered_map<std::string_view, std::size_t> m_old;

  mutable std::mutex m_mutex;
  Bytes m_new; // the entries recorded, already in the file's format
  std::uint64_t m_new_count = 0;
};

} // namespace offsite::core
