#pragma once
// Check: is everything the snapshots need present and intact? Structure by
// default (snapshots, trees, index, pack sizes); with read_data, packs are
// downloaded and every blob in them authenticated.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/maintenance/reachability.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

// Which packs --read-data reads.
struct ReadDataSubset {
  double percent = 100.0; // a random share of the packs
  // "n/m": the n-th of m groups (1-based), chosen by pack name, so m runs
  // with n = 1..m read every pack once (restic's semantics).
  unsigned group = 0;
  unsigned groups = 0;
};

// "25%", "2.5%" or "n/m"; Error(usage) otherwise.
ReadDataSubset parse_read_data_subset(std::string_view text);

// The packs a subset selects, from all packs (sorted by name). A percentage
// takes round(N% of them), at least one when N > 0.
std::vector<std::string> select_packs(const std::vector<std::string>& packs,
                                      const ReadDataSubset& subset);

struct CheckOptions {
  bool read_data = false;
  ReadDataSubset subset;           // only with read_data
  std::size_t max_affected = 1000; // per problem
};

// Something that makes data unrestorable. kind is a stable id for JSON:
// snapshot_damaged, tree_damaged, blob_missing, pack_missing, pack_size,
// pack_damaged, index_damaged (an object under index/ that cannot be used:
// the packs it named look unindexed until "offsite repair index").
struct CheckProblem {
  std::string kind;
  std::string message;
  std::string pack;                // "" when not about one pack
  std::vector<BlobUser> affected;  // snapshots and paths that lose data
  std::uint64_t affected_more = 0; // beyond max_affected
};

struct CheckResult {
  std::uint64_t snapshots = 0;
  std::uint64_t trees = 0;
  std::uint64_t data_blobs = 0;
  std::uint64_t index_files = 0;
  std::uint64_t packs = 0; // indexed
  std::uint64_t packs_read = 0;
  std::uint64_t blobs_read = 0;
  std::uint64_t bytes_read = 0;
  // In data/ but named by no (readable) index file: left by an interrupted
  // backup, or by a lost index. Their blobs are invisible until "offsite
  // repair index" (or the next backup) indexes them; never "harmless".
  std::vector<std::string> unindexed_packs;
  std::vector<std::string> stray_objects; // under data/ but not named like a pack
  std::vector<CheckProblem> problems;
  bool ok() const { return problems.empty(); }
};

enum class CheckPhase { snapshots, trees, packs, read_data };
std::string_view check_phase_name(CheckPhase phase);

struct CheckProgress {
  CheckPhase phase = CheckPhase::snapshots;
  std::uint64_t done = 0;
  std::uint64_t total = 0; // 0 = unknown (walking trees)
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
};

// Called on the check's own thread.
class CheckReporter {
public:
  virtual ~CheckReporter() = default;
  virtual void progress(const CheckProgress& progress) { (void)progress; }
  virtual bool cancelled() { return false; }
};

// Finds problems instead of throwing for them; throws for failures of the
// store itself (network, disk) and Error(interrupted) when cancelled.
CheckResult check_repository(Repository& repo, const CheckOptions& options,
                             CheckReporter& reporter);

} // namespace offsite::core
