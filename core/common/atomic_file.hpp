#pragma once
// Writing a small file so that a reader (or the next start after a crash)
// sees the old content or the new, never half of either: a temporary file in
// the same directory, fsync, rename over the name, fsync of the directory.
// Used for the client's configuration and credentials and the server's
// identity; the object store has its own create-only scheme (local_store.cpp).
#include <filesystem>
#include <string_view>

namespace offsite::core {

// `content` to `path` with exactly `mode` (the umask does not narrow it).
// Throws Error: Code::no_space for a full disk, Code::generic otherwise;
// the temporary file never stays behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           unsigned mode);

// Makes a rename or a new entry in `dir` durable (util::fsync_directory);
// throws Error (Code::no_space or Code::generic) when it cannot.
void fsync_directory(const std::filesystem::path& dir);

} // namespace offsite::core
