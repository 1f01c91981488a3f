#pragma once
// What prune, check and stats all need to know about the stored packs and
// the index files, gathered the same way in one place.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/format/index.hpp"
#include "core/store/store.hpp"

namespace offsite::core {

// Packs under data/ by name, with their sizes, from one listing. Keys that
// are not "data/<2 hex>/<64 hex>" with matching digits land in `stray`
// (when given): nothing of ours, so nothing prune may delete.
std::map<std::string, std::uint64_t> list_packs(Store& store,
                                                std::vector<std::string>* stray = nullptr);

// Each pack named by the index files, with its entries from the first file
// naming it (a pack in two files is the trace of an interrupted prune).
std::map<std::string, const IndexedPack*> packs_by_name(const std::vector<IndexFile>& files);

// The size a pack with these entries has: its blobs back to back, then the
// sealed header and its length (pack.cpp).
std::uint64_t expected_pack_size(const std::vector<PackEntry>& entries);

} // namespace offsite::core
