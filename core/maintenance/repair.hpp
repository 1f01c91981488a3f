#pragma once
// Repair (restic's "repair index" and "repair snapshots"): make a damaged
// repository usable again without deleting anything a later step could
// still recover. The caller holds the exclusive lease (it deletes).
//
// repair_index rebuilds the index from what the store holds: index files
// that authenticate are trusted for packs whose size matches; every other
// pack has its header read. New index files are written (durable when put()
// returns) before any old one is removed, so an interruption leaves the old
// and new files side by side, never neither. Packs whose header is damaged
// are reported and kept (a later --read-data check or a better copy may
// still help); nothing under data/ is deleted.
//
// repair_snapshots removes snapshot documents that cannot be read (fail
// authentication or do not decode); the data they referenced stays until a
// prune.

#include <cstdint>
#include <string>
#include <vector>

#include "core/repo/repository.hpp"
#include "core/repo/snapshot_listing.hpp"

namespace offsite::core {

enum class RepairPhase { listing, reading_headers, writing, removing, snapshots };
std::string_view repair_phase_name(RepairPhase phase);

struct RepairProgress {
  RepairPhase phase = RepairPhase::listing;
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  std::uint64_t bytes_done = 0; // not measured: headers are small
  std::uint64_t bytes_total = 0;
};

// Called on the repair's own thread. cancelled() is polled only before the
// first write: once new index files are being written, repair finishes.
class RepairReporter {
public:
  virtual ~RepairReporter() = default;
  virtual void progress(const RepairProgress& progress) { (void)progress; }
  virtual bool cancelled() { return false; }
};

struct RepairIndexResult {
  std::uint64_t packs = 0;                  // in data/, readable: the new index names them all
  std::uint64_t packs_read = 0;             // headers read (unindexed, or size not as indexed)
  std::vector<std::string> recovered_packs; // were in no readable index file
  std::vector<std::string> missing_packs;   // named by an index file, not in data/: dropped
  std::vector<std::string> damaged_packs;   // header unreadable: kept in data/, in no index
  std::vector<IndexFileProblem> damaged_index_files;
  std::uint64_t index_files_before = 0; // readable ones
  std::vector<std::string> index_files_written;
  std::uint64_t index_files_removed = 0;
  bool changed = false; // false: the index already matched the packs
};

// Throws Error(interrupted) when cancelled before writing (nothing changed),
// and what the store throws.
RepairIndexResult repair_index(Repository& repo, bool dry_run, RepairReporter& reporter);

struct RepairSnapshotsResult {
  std::uint64_t snapshots = 0; // readable, kept
  std::vector<DamagedSnapshot> damaged;
  std::uint64_t removed = 0; // 0 with dry_run
};

RepairSnapshotsResult repair_snapshots(Repository& repo, bool dry_run, RepairReporter& reporter);

} // namespace offsite::core
