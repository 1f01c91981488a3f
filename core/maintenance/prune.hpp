#pragma once
// Prune: remove what no snapshot references. See prune.cpp for the order of
// the steps and why an interruption at any point loses nothing.

#include <cstdint>
#include <string>
#include <vector>

#include "core/format/index.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

struct PruneOptions {
  // A pack whose unreferenced blobs take more than this share of its blob
  // bytes is repacked (its referenced blobs copied into new packs). 100
  // never repacks; 0 repacks every pack holding anything unreferenced.
  double max_repack_unused_percent = 50.0;
  std::size_t pack_size = k_pack_target_size;
  // Entries per new index file (restic writes ~50000 too): small enough to
  // load quickly, large enough that a big repository has few files.
  std::size_t entries_per_index = 50000;
};

struct PruneCounts {
  std::uint64_t packs = 0;
  std::uint64_t blobs = 0;
  std::uint64_t bytes = 0; // stored bytes
};

// What prune will do, decided before anything changes.
struct PrunePlan {
  std::uint64_t snapshots = 0;
  std::uint64_t packs_before = 0;            // objects under data/
  std::uint64_t stored_before = 0;           // their bytes
  std::uint64_t blobs_referenced = 0;        // data + tree blobs the snapshots use
  PruneCounts remove;                        // packs deleted whole (nothing referenced)
  PruneCounts repack;                        // packs rewritten (whole packs)
  PruneCounts repack_keep;                   // blobs copied out of them
  std::uint64_t unindexed_packs = 0;         // in data/ but in no index: headers read, then judged
  std::uint64_t unindexed_kept = 0;          // of those, holding used blobs: kept and indexed
  std::vector<std::string> unreadable_packs; // unindexed, header unreadable: left alone
  std::uint64_t missing_packs = 0;           // indexed but absent, nothing referenced in them
  std::uint64_t stored_after_estimate = 0;
  std::uint64_t index_files_before = 0;

  // For execute_prune.
  std::vector<std::string> packs_to_remove; // remove + repack
  std::vector<IndexedPack> repack_sources;  // repacked packs: only the entries to copy
  std::vector<IndexedPack> packs_to_keep;   // all their entries, for the new index
  std::vector<std::string> old_index_files;

  bool nothing_to_do() const {
    return packs_to_remove.empty() && missing_packs == 0 && unindexed_kept == 0;
  }
};

struct PruneResult {
  PrunePlan plan;
  std::uint64_t packs_written = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t index_files_written = 0;
  std::uint64_t index_files_removed = 0;
  std::uint64_t packs_removed = 0;
  std::uint64_t stored_after = 0; // bytes under data/ afterwards
};

enum class PrunePhase { planning, repacking, indexing, deleting };
std::string_view prune_phase_name(PrunePhase phase);

struct PruneProgress {
  PrunePhase phase = PrunePhase::planning;
  std::uint64_t done = 0;  // trees walked, packs repacked, packs deleted
  std::uint64_t total = 0; // 0 = unknown (walking trees)
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
};

// Called on the prune's own thread; cancelled() is polled between steps.
class PruneReporter {
public:
  virtual ~PruneReporter() = default;
  virtual void progress(const PruneProgress& progress) { (void)progress; }
  virtual bool cancelled() { return false; }
};

// Reads snapshots, trees and index files; changes nothing. Throws
// Error(integrity) when a referenced blob is missing or a tree cannot be
// read (so nothing is deleted on an incomplete picture), Error(interrupted)
// when cancelled.
PrunePlan plan_prune(Repository& repo, const PruneOptions& options, PruneReporter& reporter);

// Carries out a plan made just before under the same exclusive lock.
// Throws Error(integrity) when a blob to copy fails authentication (before
// anything is deleted), Error(interrupted) when cancelled: either way the
// repository stays consistent and the next prune finishes the work.
PruneResult execute_prune(Repository& repo, PrunePlan plan, const PruneOptions& options,
                          PruneReporter& reporter);

} // namespace offsite::core
