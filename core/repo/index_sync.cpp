#include "core/repo/index_sync.hpp"

#include <set>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/repo/repo_scan.hpp"

namespace offsite::core {

namespace {

// A batch's plaintext stays a few MB even for packs of tiny blobs.
constexpr std::size_t k_entries_per_index_file = 65536;

} // namespace

PackHeaders read_pack_headers(Repository& repo, const std::vector<std::string>& names,
                              const PackHeaderProgress& progress) {
  PackHeaders out;
  std::uint64_t done = 0;
  for (const auto& name : names) {
    try {
      out.packs.push_back({name, repo.read_pack_header(name)});
    } catch (const Error& e) {
      if (e.code() == Code::integrity)
        out.damaged.push_back(name);
      else if (e.code() != Code::not_found) // not_found: removed meanwhile
        throw;
    }
    if (progress) progress(++done, names.size());
  }
  return out;
}

std::vector<std::string> write_index_files(Repository& repo,
                                           const std::vector<IndexedPack>& packs) {
  std::vector<std::string> written;
  std::vector<IndexedPack> batch;
  std::size_t entries = 0;
  const auto write = [&] {
    if (batch.empty()) return;
    written.push_back(repo.write_index_file(batch));
    batch.clear();
    entries = 0;
  };
  for (const auto& pack : packs) {
    if (!batch.empty() && entries + pack.entries.size() > k_entries_per_index_file) write();
    entries += pack.entries.size();
    batch.push_back(pack);
  }
  write();
  return written;
}

IndexSync sync_index_with_packs(Repository& repo, bool write, const PackHeaderProgress& progress) {
  IndexSync sync;
  // Every pack of an index file loaded before this listing was uploaded
  // before that file was written, so a pack indexed but not listed is gone.
  const auto stored = list_packs(repo.store());
  const auto indexed_names = repo.index().packs();
  const std::set<std::string> indexed(indexed_names.begin(), indexed_names.end());
  for (const auto& name : indexed)
    if (!stored.contains(name)) sync.missing_packs.push_back(name);
  if (!sync.missing_packs.empty()) sync.blobs_dropped = repo.forget_packs(sync.missing_packs);

  std::vector<std::string> unknown;
  for (const auto& [name, size] : stored)
    if (!indexed.contains(name)) unknown.push_back(name);
  if (unknown.empty()) return sync;
  PackHeaders headers = read_pack_headers(repo, unknown, progress);
  sync.damaged_packs = std::move(headers.damaged);
  for (const auto& pack : headers.packs)
    sync.recovered_packs.push_back(pack.name);
  repo.add_packs(headers.packs);
  if (write) sync.index_files = write_index_files(repo, headers.packs);
  return sync;
}

namespace {

std::string and_more(std::size_t count) {
  return count > 1 ? fmt::format(" (and {} more)", count - 1) : "";
}

} // namespace

std::vector<IndexSyncWarning> index_sync_warnings(const IndexSync& sync) {
  std::vector<IndexSyncWarning> out;
  if (!sync.missing_packs.empty())
    out.push_back({Repository::pack_key(sync.missing_packs.front()),
                   fmt::format("pack missing from the repository{}: the {} blob(s) indexed in it "
                               "are stored again where this run still has them; run \"offsite "
                               "check\" to see which snapshots lost data",
                               and_more(sync.missing_packs.size()), sync.blobs_dropped)});
  if (!sync.damaged_packs.empty())
    out.push_back({Repository::pack_key(sync.damaged_packs.front()),
                   fmt::format("pack in no index with a damaged header{}: left alone; its blobs "
                               "are stored again where needed (\"offsite repair index\" reports "
                               "it)",
                               and_more(sync.damaged_packs.size()))});
  return out;
}

} // namespace offsite::core
