#pragma once
// `offsite dump`: one file's bytes, or a directory (or the whole snapshot)
// as a tar or zip stream, written as blobs are decrypted: memory stays
// bounded by the prefetch budget whatever the file size.
//
// Damage: never a wrong byte. In an archive, a file whose data is damaged or
// missing is left out before its entry starts (named through the reporter)
// when it is small enough to be read whole first (32 MiB) or its blobs are
// not in the index at all; a larger file whose data fails to authenticate
// midway stops the dump with Error(integrity) naming it, and the archive is
// then left without its trailer, so every reader reports it as cut short.
// A single file dumped as bytes stops the same way.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/dump/archive_sink.hpp"
#include "core/dump/archive_writer.hpp"
#include "core/format/snapshot.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

struct DumpOptions {
  // Absolute path inside the snapshot; "/" is the whole snapshot.
  std::string path = "/";
  // A file is dumped as its bytes unless an archive is asked for; a
  // directory always becomes an archive (tar unless this says zip).
  std::optional<ArchiveFormat> archive;
};

struct DumpResult {
  bool archived = false;
  std::uint64_t entries = 0; // archive entries written
  std::uint64_t bytes = 0;   // file content bytes written
  std::uint64_t left_out = 0;
};

class DumpReporter {
public:
  virtual ~DumpReporter() = default;
  // An entry left out of the archive (raw snapshot path, why).
  virtual void left_out(const std::string& path, const std::string& reason) {
    (void)path;
    (void)reason;
  }
  // An entry the archive format cannot hold (a fifo or device in a zip).
  virtual void unsupported(const std::string& path, const std::string& reason) {
    (void)path;
    (void)reason;
  }
  // Polled between blobs: true stops the dump with Error(interrupted).
  virtual bool cancelled() { return false; }
};

// Error(not_found) for a path not in the snapshot; Error(usage) for a
// symlink, device or other entry without bytes when no archive is asked
// for; Error(integrity) for unsafe names (an archive is never given a
// "../x" a careless extractor would follow) and damaged data.
DumpResult dump(Repository& repo, const Snapshot& snapshot, const DumpOptions& options,
                ByteSink& sink, DumpReporter& reporter);

} // namespace offsite::core
