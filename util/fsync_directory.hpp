#pragma once
// Durability of directory entries: a rename, link or new file in a directory
// survives a power loss only once the directory itself is synced.

namespace offsite::util {

// Opens `dir` (a directory; "" means the current one) and fsyncs it. Blocks
// until the disk has the entries. Returns 0, or the errno of the open or
// fsync that failed; never throws. A file system that cannot sync a
// directory (EINVAL) counts as success: there is nothing more to do.
[[nodiscard]] int fsync_directory(const char* dir);

} // namespace offsite::util
