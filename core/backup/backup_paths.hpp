#pragma once
// What a backup records as its paths, decided in this one place for the
// archiver, the parent lookup, the scanner and the snapshot filters
// (--path), so that "DIR", "DIR/", "DIR/." and "./DIR" are the same backup
// and find the same parent (a trailing '/' once made every file be read
// again).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offsite::core {

// Absolute (against the current directory), lexically normal ("." and ".."
// resolved by text, as restic's filepath.Clean: symlinks are not resolved,
// so a path reached through a symlink is recorded as typed, and a given path
// that is itself a symlink is backed up as the symlink), without a trailing
// '/' except for "/" itself. Error(usage) for an empty path.
std::string normalise_backup_path(std::string_view path);

// The paths a snapshot records: the normalised `paths` in the order given
// without duplicates, or "/NAME" for a backup of stdin named `stdin_name`.
// Error(usage) when neither or both are given, or when `stdin_name` is not a
// plain file name. Cheap and without I/O: callers may check early.
std::vector<std::string> backup_snapshot_paths(const std::vector<std::filesystem::path>& paths,
                                               const std::optional<std::string>& stdin_name);

} // namespace offsite::core
