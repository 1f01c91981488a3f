#include "core/maintenance/repair.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/repo/index_sync.hpp"
#include "core/repo/repo_scan.hpp"

namespace offsite::core {

std::string_view repair_phase_name(RepairPhase phase) {
  switch (phase) {
  case RepairPhase::listing: return "listing";
  case RepairPhase::reading_headers: return "reading-headers";
  case RepairPhase::writing: return "writing-index";
  case RepairPhase::removing: return "removing";
  case RepairPhase::snapshots: return "snapshots";
  }
  return "unknown";
}

namespace {

void stop_if_cancelled(RepairReporter& reporter) {
  if (reporter.cancelled())
    throw Error(Code::interrupted, "repair interrupted before it changed anything",
                "run the command again");
}

} // namespace

RepairIndexResult repair_index(Repository& repo, bool dry_run, RepairReporter& reporter) {
  RepairIndexResult result;
  reporter.progress({RepairPhase::listing, 0, 0, 0, 0});
  const auto files = repo.read_index_files(&result.damaged_index_files);
  result.index_files_before = files.size();
  const auto indexed = packs_by_name(files);
  const auto stored = list_packs(repo.store());
  stop_if_cancelled(reporter);

  // A pack whose size disagrees with its entries may have been replaced
  // (or the entries came from another pack of that name): its own header
  // decides.
  std::vector<IndexedPack> packs;
  std::vector<std::string> to_read;
  for (const auto& [name, size] : stored) {
    const auto it = indexed.find(name);
    if (it != indexed.end() && expected_pack_size(it->second->entries) == size)
      packs.push_back(*it->second);
    else
      to_read.push_back(name);
  }
  for (const auto& [name, pack] : indexed)
    if (!stored.contains(name)) result.missing_packs.push_back(name);

  PackHeaders headers =
      read_pack_headers(repo, to_read, [&](std::uint64_t done, std::uint64_t total) {
        reporter.progress({RepairPhase::reading_headers, done, total, 0, 0});
        stop_if_cancelled(reporter);
      });
  result.packs_read = to_read.size();
  result.damaged_packs = std::move(headers.damaged);
  for (auto& pack : headers.packs) {
    if (!indexed.contains(pack.name)) result.recovered_packs.push_back(pack.name);
    packs.push_back(std::move(pack));
  }
  result.packs = packs.size();
  result.changed = !result.damaged_index_files.empty() || !result.missing_packs.empty() ||
                   !headers.packs.empty() || packs.size() != indexed.size() ||
                   std::any_of(to_read.begin(), to_read.end(),
                               [&](const std::string& n) { return indexed.contains(n); });
  // A pack that was indexed but whose header is now damaged drops out of
  // the index: a changed index even when nothing else is.
  if (dry_run || !result.changed) return result;
  stop_if_cancelled(reporter);

  reporter.progress({RepairPhase::writing, 0, 1, 0, 0});
  result.index_files_written = write_index_files(repo, packs);
  reporter.progress({RepairPhase::writing, 1, 1, 0, 0});

  // Only now, with the new files durable, do the old ones go.
  const std::uint64_t old_total = files.size() + result.damaged_index_files.size();
  RepairProgress removing{RepairPhase::removing, 0, old_total, 0, 0};
  for (const auto& f : files) {
    if (repo.remove_index_file(f.name)) ++result.index_files_removed;
    ++removing.done;
    reporter.progress(removing);
  }
  for (const auto& d : result.damaged_index_files) {
    if (repo.store().remove(d.key)) ++result.index_files_removed;
    ++removing.done;
    reporter.progress(removing);
  }
  return result;
}

RepairSnapshotsResult repair_snapshots(Repository& repo, bool dry_run, RepairReporter& reporter) {
  RepairSnapshotsResult result;
  const auto objects = list_all(repo.store(), std::string(k_snapshots_prefix));
  RepairProgress progress{RepairPhase::snapshots, 0, objects.size(), 0, 0};
  for (const auto& o : objects) {
    stop_if_cancelled(reporter);
    const std::string id = o.key.substr(k_snapshots_prefix.size());
    try {
      repo.load_snapshot(id);
      ++result.snapshots;
    } catch (const Error& e) {
      // not_found: removed meanwhile, or a name offsite never writes (left
      // alone: it is nothing of ours to judge).
      if (e.code() == Code::integrity)
        result.damaged.push_back({id, e.what()});
      else if (e.code() != Code::not_found)
        throw;
    }
    ++progress.done;
    reporter.progress(progress);
  }
  if (dry_run) return result;
  for (const auto& d : result.damaged)
    if (repo.store().remove(std::string(k_snapshots_prefix) + d.id)) ++result.removed;
  return result;
}

} // namespace offsite::core
