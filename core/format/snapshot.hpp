#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/format/blob.hpp"

namespace offsite::core {

// Snapshot times are nanoseconds since the Unix epoch (UTC).
inline constexpr std::int64_t k_ns_per_second = 1'000'000'000;

struct SnapshotSummary {
  std::uint64_t files_new = 0;
  std::uint64_t files_changed = 0;
  std::uint64_t files_unmodified = 0;
  std::uint64_t dirs = 0;
  std::uint64_t other_nodes = 0;  // symlinks, fifos, devices, sockets
  std::uint64_t files_failed = 0; // unreadable or vanished
  std::uint64_t data_blobs_new = 0;
  std::uint64_t tree_blobs_new = 0;
  std::uint64_t bytes_processed = 0; // logical size of all files
  std::uint64_t bytes_read = 0;      // file content actually read
  std::uint64_t bytes_added = 0;     // stored (sealed) bytes of new blobs
  double duration_seconds = 0;
};

struct Snapshot {
  std::string id; // the object name; not part of the stored document
  std::int64_t time_ns = 0;
  std::string host;
  std::string user;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::vector<std::string> excludes;
  BlobId tree{};
  std::optional<std::string> parent;
  // Set by `tag`, which writes a new snapshot and removes the old: the ID
  // of the snapshot as backup first saved it.
  std::optional<std::string> original;
  bool partial = false;
  std::string program_version;
  SnapshotSummary summary;
};

// The ID of the snapshot backup first saved, that `snapshot` is (itself, or
// a retag or copy of it, whose `original` names it).
inline const std::string& original_of(const Snapshot& snapshot) {
  return snapshot.original ? *snapshot.original : snapshot.id;
}

nlohmann::json snapshot_to_json(const Snapshot& snapshot); // without id
// Throws Error(Code::integrity) when a required field is missing or malformed.
Snapshot snapshot_from_json(const nlohmann::json& doc, std::string id);

} // namespace offsite::core
