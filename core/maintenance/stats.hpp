#pragma once
// Repository statistics: what the snapshots hold, and what storing it costs.

#include <cstdint>
#include <functional>

#include "core/repo/repository.hpp"

namespace offsite::core {

struct StatsResult {
  std::uint64_t snapshots = 0;
  std::uint64_t files = 0;        // file entries, summed over snapshots
  std::uint64_t logical_size = 0; // file sizes, summed over snapshots
  std::uint64_t unique_size = 0;  // plaintext of the distinct data blobs: restoring
                                  // every snapshot needs this much content
  std::uint64_t data_blobs = 0;   // distinct, referenced
  std::uint64_t tree_blobs = 0;
  std::uint64_t blobs_raw = 0;    // plaintext bytes of the referenced blobs (data + tree)
  std::uint64_t blobs_stored = 0; // their sealed bytes
  std::uint64_t packs = 0;
  std::uint64_t stored_size = 0; // bytes under data/: what the account's packs occupy

  // logical / unique; 0 when there is nothing.
  double dedup_ratio() const;
  // plaintext / sealed bytes of the referenced blobs (compression net of
  // padding and encryption overhead); 0 when there is nothing.
  double compression_ratio() const;
};

// Reads each tree of `snapshots` once (the caller lists them, and names the
// damaged ones it leaves out). Throws for blobs that cannot be read (run
// check to find which). `on_tree` gets the trees loaded so far.
StatsResult compute_stats(Repository& repo, const std::vector<Snapshot>& snapshots,
                          const std::function<void(std::uint64_t trees)>& on_tree = {});

} // namespace offsite::core
