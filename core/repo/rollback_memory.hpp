#pragma once
// What a client remembers of a repository so that a data centre restored
// from an older copy cannot take it back in time silently (issue 16).
//
// The decision: the client remembers, per host it has backed up as, the
// newest snapshot (time and ID) it saved or saw there. A listing whose newest
// intact snapshot of such a host is older than that, or that has none, is a
// possible rollback. Only the newest snapshot counts, because forget, here or
// on another machine, removes old snapshots, and every --keep-* policy keeps
// the newest of each group: a forget elsewhere looks like a rollback only
// when it removes a host's newest snapshot (by ID, by --keep-tag alone, or
// with a --group-by that leaves out the host),
// and that is reported once and accepted with --accept-rollback. This
// client's own forget updates the memory. A damaged newest snapshot is
// damage, reported as such, not a rollback. Hosts this client never backed up
// as are not remembered: their snapshots come and go with other machines.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/format/snapshot.hpp"
#include "core/repo/snapshot_listing.hpp"

namespace offsite::core {

struct SeenSnapshot {
  std::string id;
  std::int64_t time_ns = 0;
};

struct RollbackFinding {
  std::string host;
  SeenSnapshot remembered;            // the newest this client saved or saw
  std::optional<SeenSnapshot> newest; // the newest the listing shows; nullopt: none
};

class RollbackMemory {
public:
  // Unknown or malformed fields are dropped (the memory is only ever a
  // lower bound: losing it loses detection, never data).
  static RollbackMemory from_json(const nlohmann::json& doc);
  nlohmann::json to_json() const;

  bool empty() const { return m_newest.empty(); }
  const std::map<std::string, SeenSnapshot>& newest_by_host() const { return m_newest; }

  // Hosts whose newest intact snapshot in `listing` is older than the one
  // remembered, leaving out hosts whose remembered snapshot is damaged.
  std::vector<RollbackFinding> find_rollbacks(const SnapshotListing& listing) const;

  // This client saved `snapshot`: its host is remembered from now on.
  // Returns whether anything changed.
  bool remember_saved(const Snapshot& snapshot);
  // Raises each remembered host to the newest snapshot of it in `listing`
  // (another machine backing up as the same host, say).
  bool remember_newer(const SnapshotListing& listing);
  // This client removed `removed`: remembered hosts whose newest snapshot is
  // among them fall back to the newest in `remaining` (or are dropped).
  bool remember_removed(const std::vector<std::string>& removed, const SnapshotListing& remaining);
  // The user accepted what `listing` shows: every remembered host is set to
  // its newest snapshot there (or dropped when it has none).
  bool accept(const SnapshotListing& listing);

private:
  std::map<std::string, SeenSnapshot> m_newest; // by host
};

} // namespace offsite::core
