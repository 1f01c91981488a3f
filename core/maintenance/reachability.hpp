#pragma once
// Which blobs the snapshots use: prune keeps them, check verifies them, and
// when a blob is lost, which snapshots and files it belonged to.

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/format/tree.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

using BlobIdSet = std::unordered_set<BlobId, BlobIdHash>;

// A blob a snapshot refers to that cannot be used: not in the index, or (for
// trees) present but failing to authenticate or decode.
struct BlobProblem {
  BlobId id{};
  BlobType type = BlobType::data;
  std::string message;
};

struct Reachable {
  BlobIdSet trees;
  BlobIdSet data;
  // Trees that could not be read hide what they refer to, so a non-empty
  // list means the sets above may be incomplete.
  std::vector<BlobProblem> problems;

  bool contains(const BlobId& id) const { return trees.contains(id) || data.contains(id); }
};

// Loads and decodes one tree blob. Throws like Repository::load_blob, and
// Error(integrity) when it does not decode.
Tree load_tree(Repository& repo, const BlobId& id);

// Walks every snapshot's tree, loading each tree blob once. Never throws for
// a missing or damaged tree: it lands in `problems`. `on_tree` is called
// after each tree loaded, with the number loaded so far (for progress).
Reachable find_reachable(Repository& repo, const std::vector<Snapshot>& snapshots,
                         const std::function<void(std::uint64_t trees)>& on_tree = {});

// A file or directory of a snapshot that uses some of the blobs asked about.
struct BlobUser {
  std::string snapshot_id;
  std::string path;          // "/home/me/file"; a directory when its tree is among the blobs
  std::vector<BlobId> blobs; // which of the blobs asked about it uses
};

// Every file whose content uses one of `blobs`, and every directory whose
// tree blob is one of them or cannot be read (what lies below it is
// unknown), in snapshot order, then path order. Stops after `limit` users.
std::vector<BlobUser> find_users(Repository& repo, const std::vector<Snapshot>& snapshots,
                                 const BlobIdSet& blobs, std::size_t limit);

} // namespace offsite::core
