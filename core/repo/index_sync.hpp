#pragma once
// The index against the packs the store really holds. A backup starts here
// (restic's self-healing backup and its resume): an index entry whose pack
// is gone must not let the backup skip a blob, and a pack an interrupted
// backup uploaded but never indexed must not be uploaded again.
// `offsite repair index` reads pack headers the same way.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/repo/repository.hpp"

namespace offsite::core {

// Called after each pack header read (done, total); may throw to stop.
using PackHeaderProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct PackHeaders {
  std::vector<IndexedPack> packs;   // read and authenticated
  std::vector<std::string> damaged; // header unreadable: kept, never deleted
};

// Reads the headers of `names` one by one (a pack's tail each). A pack
// removed meanwhile is left out; a damaged one goes to `damaged`. Throws
// what the store throws (network, disk).
PackHeaders read_pack_headers(Repository& repo, const std::vector<std::string>& names,
                              const PackHeaderProgress& progress = {});

// Seals `packs` into as few index files as keep each one moderate (a batch
// per ~64k blobs); returns their names. Each file is durable when put()
// returns, so a caller may remove what they replace afterwards.
std::vector<std::string> write_index_files(Repository& repo, const std::vector<IndexedPack>& packs);

struct IndexSync {
  std::vector<std::string> missing_packs; // indexed, not in the store: dropped from the index
  std::uint64_t blobs_dropped = 0;
  std::vector<std::string> recovered_packs; // in the store, in no index: headers read, added
  std::vector<std::string> damaged_packs;   // in no index, header unreadable: left alone
  std::vector<std::string> index_files;     // written for recovered_packs
};

// One listing of data/ against the loaded index (repo.load_index() first):
// packs missing from the store are dropped from the in-memory index, so
// their blobs count as absent; packs in no index have their headers read
// and are added, and with `write` an index file names them, so later runs
// find them too. Only unknown packs are read. Holding a shared lease
// suffices: a concurrent backup's packs are indexed twice at worst, which
// the index tolerates. Throws what the store throws.
IndexSync sync_index_with_packs(Repository& repo, bool write,
                                const PackHeaderProgress& progress = {});

// What a command that stores data (backup, copy) warns about after the sync:
// the store key of the first pack concerned and the sentence, for a lost
// pack and for a pack whose header is damaged.
struct IndexSyncWarning {
  std::string key;
  std::string message;
};
std::vector<IndexSyncWarning> index_sync_warnings(const IndexSync& sync);

} // namespace offsite::core
