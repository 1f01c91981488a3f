#pragma once
// The repository's snapshots as far as they can be used: one damaged snapshot
// object blocks only what depends on it (issue 16). Listing, "latest", the
// parent of a backup and forget by policy see the intact snapshots; the
// damaged ones and stray names are returned beside them so that each command
// can name them, and `forget ID` can still remove a damaged one by its name.

#include <string>
#include <vector>

#include "core/format/snapshot.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

struct DamagedSnapshot {
  std::string id;     // the object's name: 64 hex digits
  std::string reason; // the error that loading it gave
};

struct SnapshotListing {
  std::vector<Snapshot> snapshots;      // intact, sorted by time (oldest first)
  std::vector<DamagedSnapshot> damaged; // sorted by ID
  std::vector<std::string> stray_names; // names under snapshots/ that are no snapshot ID

  // Whether `id` is one of the damaged ones.
  bool is_damaged(const std::string& id) const;
};

// Loads every snapshot document. A document that fails authentication, does
// not match its name or is malformed goes to `damaged`; one removed while
// listing (a concurrent forget) is left out. Throws only what the store
// throws (unreachable server, ...).
SnapshotListing list_intact_snapshots(Repository& repo);

// One line per damaged snapshot and stray name, each saying what to do, for
// the warnings of the commands that list snapshots.
std::vector<std::string> listing_warnings(const SnapshotListing& listing);

} // namespace offsite::core
