// Prune: delete packs no snapshot needs, and rewrite packs that are mostly
// unreferenced.
//
// Plan (reads only): walk every snapshot's trees to the set of referenced
// blobs; read every index file; list data/ once. Each pack is then
//   - removed when none of its blobs is referenced,
//   - read when no index names it (the remains of an interrupted backup or
//     prune, or of a lost index file): its header is authenticated and the
//     pack then goes through the same rules, so a pack holding referenced
//     blobs is kept and indexed, never deleted; one whose header cannot be
//     read is left alone (a repair or a later run may still need it),
//   - repacked when its unreferenced blobs take more than the threshold of
//     its blob bytes (counting blob bytes, not the header, so a repacked
//     pack never qualifies again),
//   - kept otherwise.
// A referenced blob that no existing pack holds, or a tree that cannot be
// read, stops prune before it changes anything: deleting on an incomplete
// picture could lose the only copy of something.
//
// Execute, in this order, so that an interruption at any point (crash,
// Ctrl-C, network cut) leaves every referenced blob findable through some
// index file (duplicates are harmless, and the next prune removes them):
//   1. copy the referenced blobs of the packs to repack into new packs
//      (sealed bytes as they are: a blob's seal binds its type and ID, not
//      its pack; each is authenticated first so damage is not spread);
//   2. write new index files covering every kept and every new pack;
//   3. remove the old index files;
//   4. remove the packs that are no longer needed.
// Before 2, the new packs are unindexed extras; after 2, both the old and
// the new index files find everything; after 3, the packs still to remove
// are unindexed extras.
#include "core/maintenance/prune.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/maintenance/reachability.hpp"
#include "core/repo/index_sync.hpp"
#include "core/repo/repo_scan.hpp"
#include "core/repo/snapshot_listing.hpp"

namespace offsite::core {

std::string_view prune_phase_name(PrunePhase phase) {
  switch (phase) {
  case PrunePhase::planning: return "planning";
  case PrunePhase::repacking: return "repacking";
  case PrunePhase::indexing: return "indexing";
  case PrunePhase::deleting: return "deleting";
  }
  return "unknown";
}

namespace {

void stop_if_cancelled(PruneReporter& reporter) {
  if (reporter.cancelled())
    throw Error(Code::interrupted, "prune interrupted; the repository is consistent",
                "run offsite prune again to finish");
}

Error incomplete(std::string what) {
  return Error(Code::integrity,
               fmt::format("prune stopped before deleting anything: {}", std::move(what)),
               "run offsite check to see which snapshots are affected; remove those with "
               "offsite forget, then prune again");
}

} // namespace

PrunePlan plan_prune(Repository& repo, const PruneOptions& options, PruneReporter& reporter) {
  PrunePlan plan;
  // A damaged snapshot may reference anything: deleting around it could
  // lose the only copy of what it holds, so it must be removed (or the
  // object restored) first.
  const SnapshotListing listing = list_intact_snapshots(repo);
  if (!listing.damaged.empty())
    throw Error(Code::integrity,
                fmt::format("prune stopped before deleting anything: snapshot {} is damaged ({}), "
                            "so what it references is unknown",
                            listing.damaged.front().id, listing.damaged.front().reason),
                fmt::format("remove it with offsite forget {} (offsite repair snapshots removes "
                            "every damaged one), then prune again",
                            listing.damaged.front().id));
  const auto& snapshots = listing.snapshots;
  plan.snapshots = snapshots.size();
  const auto index_files = repo.read_index_files();
  plan.index_files_before = index_files.size();
  for (const auto& f : index_files)
    plan.old_index_files.push_back(f.name);
  auto indexed = packs_by_name(index_files);
  const auto stored = list_packs(repo.store());
  plan.packs_before = stored.size();
  for (const auto& [name, size] : stored)
    plan.stored_before += size;

  // Packs no index names: their headers say what they hold, and from here
  // on they are judged like indexed ones (see the top of this file).
  std::vector<std::string> unindexed;
  for (const auto& [name, size] : stored)
    if (!indexed.contains(name)) unindexed.push_back(name);
  const PackHeaders headers = read_pack_headers(
      repo, unindexed, [&](std::uint64_t, std::uint64_t) { stop_if_cancelled(reporter); });
  plan.unindexed_packs = unindexed.size();
  plan.unreadable_packs = headers.damaged;
  std::set<std::string> recovered;
  for (const auto& pack : headers.packs) {
    indexed.emplace(pack.name, &pack);
    recovered.insert(pack.name);
  }
  // The walk below may need trees that only these packs hold.
  repo.add_packs(headers.packs);

  const Reachable used = find_reachable(repo, snapshots, [&](std::uint64_t trees) {
    reporter.progress({PrunePhase::planning, trees, 0, 0, 0});
    stop_if_cancelled(reporter);
  });
  if (!used.problems.empty())
    throw incomplete(fmt::format("{} referenced blob{} cannot be read ({}{})", used.problems.size(),
                                 used.problems.size() == 1 ? "" : "s",
                                 used.problems.front().message,
                                 used.problems.size() > 1 ? ", ..." : ""));
  plan.blobs_referenced = used.trees.size() + used.data.size();

  // Which referenced blobs some existing pack holds.
  BlobIdSet present;
  for (const auto& [name, pack] : indexed)
    if (stored.contains(name))
      for (const auto& e : pack->entries)
        if (used.contains(e.id)) present.insert(e.id);
  for (const auto* set : {&used.trees, &used.data})
    for (const auto& id : *set)
      if (!present.contains(id))
        throw incomplete(
            fmt::format("blob {} is referenced, but no pack holds it", blob_id_hex(id)));

  enum class Fate { keep, repack, remove };
  std::vector<std::pair<const IndexedPack*, Fate>> fates;
  for (const auto& [name, pack] : indexed) {
    if (!stored.contains(name)) {
      ++plan.missing_packs; // nothing referenced in it, or we would have stopped above
      continue;
    }
    std::uint64_t used_bytes = 0, unused_bytes = 0;
    for (const auto& e : pack->entries)
      (used.contains(e.id) ? used_bytes : unused_bytes) += e.length;
    Fate fate = Fate::keep;
    if (used_bytes == 0)
      fate = Fate::remove;
    else if (unused_bytes > 0 &&
             static_cast<double>(unused_bytes) * 100.0 >
                 options.max_repack_unused_percent * static_cast<double>(used_bytes + unused_bytes))
      fate = Fate::repack;
    if (fate != Fate::remove && recovered.contains(name)) ++plan.unindexed_kept;
    fates.emplace_back(pack, fate);
  }

  // Kept packs claim their referenced blobs first; a repacked pack copies
  // only what no kept pack (and no earlier repacked pack) already holds.
  BlobIdSet claimed;
  for (const auto& [pack, fate] : fates)
    if (fate == Fate::keep) {
      plan.packs_to_keep.push_back(*pack);
      for (const auto& e : pack->entries)
        if (used.contains(e.id)) claimed.insert(e.id);
    }
  for (const auto& [pack, fate] : fates) {
    if (fate == Fate::keep) continue;
    const std::uint64_t size = stored.at(pack->name);
    PruneCounts& counts = fate == Fate::remove ? plan.remove : plan.repack;
    ++counts.packs;
    counts.blobs += pack->entries.size();
    counts.bytes += size;
    plan.packs_to_remove.push_back(pack->name);
    if (fate != Fate::repack) continue;
    IndexedPack source{pack->name, {}};
    for (const auto& e : pack->entries)
      if (used.contains(e.id) && claimed.insert(e.id).second) {
        source.entries.push_back(e);
        ++plan.repack_keep.blobs;
        plan.repack_keep.bytes += e.length;
      }
    if (!source.entries.empty()) plan.repack_sources.push_back(std::move(source));
  }
  plan.stored_after_estimate =
      plan.stored_before - plan.remove.bytes - plan.repack.bytes + plan.repack_keep.bytes;
  return plan;
}

PruneResult execute_prune(Repository& repo, PrunePlan plan, const PruneOptions& options,
                          PruneReporter& reporter) {
  PruneResult result;
  Store& store = repo.store();
  if (plan.nothing_to_do()) {
    result.stored_after = plan.stored_before;
    result.plan = std::move(plan);
    return result;
  }

  // 1. Copy what the repacked packs still hold into new packs.
  // Trees and data into packs of their own, as backup writes them
  // (repository.hpp): a repacked tree must stay readable in blocks of trees.
  std::vector<IndexedPack> written;
  PackBuilder data_builder(repo.key().encryption);
  PackBuilder tree_builder(repo.key().encryption);
  const auto upload = [&](PackBuilder& builder) {
    FinishedPack pack = builder.finish();
    store.put(Repository::pack_key(pack.name), pack.bytes); // false: identical bytes exist
    ++result.packs_written;
    result.bytes_written += pack.bytes.size();
    written.push_back({std::move(pack.name), std::move(pack.entries)});
  };
  PruneProgress progress{PrunePhase::repacking, 0, plan.repack_sources.size(), 0,
                         plan.repack_keep.bytes};
  reporter.progress(progress);
  for (const auto& source : plan.repack_sources) {
    stop_if_cancelled(reporter);
    Bytes data;
    try {
      data = repo.load_pack(source.name);
    } catch (const Error& e) {
      if (!e.is_data_damage()) throw;
      throw incomplete(e.what());
    }
    for (const auto& e : source.entries) {
      if (std::uint64_t{e.offset} + e.length > data.size())
        throw incomplete(fmt::format("pack {} is shorter than its index says", source.name));
      Bytes sealed(data.begin() + e.offset, data.begin() + e.offset + e.length);
      if (!repo.codec().open(e.type, e.id, sealed))
        throw incomplete(fmt::format("blob {} in pack {} failed authentication", blob_id_hex(e.id),
                                     source.name));
      PackBuilder& builder = e.type == BlobType::tree ? tree_builder : data_builder;
      builder.add(e.type, e.id, std::move(sealed), e.raw_length);
      if (builder.size() >= options.pack_size) upload(builder);
      progress.bytes_done += e.length;
    }
    ++progress.done;
    reporter.progress(progress);
  }
  for (PackBuilder* builder : {&data_builder, &tree_builder})
    if (!builder->empty()) upload(*builder);

  // 2. Index files for everything that stays.
  stop_if_cancelled(reporter);
  std::vector<IndexedPack> all = std::move(plan.packs_to_keep);
  all.insert(all.end(), std::make_move_iterator(written.begin()),
             std::make_move_iterator(written.end()));
  plan.packs_to_keep.clear();
  reporter.progress({PrunePhase::indexing, 0, all.size(), 0, 0});
  std::vector<IndexedPack> batch;
  std::size_t batch_entries = 0;
  const auto write_batch = [&] {
    repo.write_index_file(batch);
    ++result.index_files_written;
    batch.clear();
    batch_entries = 0;
  };
  for (auto& pack : all) {
    if (!batch.empty() && batch_entries + pack.entries.size() > options.entries_per_index)
      write_batch();
    batch_entries += pack.entries.size();
    batch.push_back(std::move(pack));
  }
  if (!batch.empty()) write_batch();

  // 3. The old index files, now superseded.
  for (const auto& name : plan.old_index_files) {
    stop_if_cancelled(reporter);
    if (repo.remove_index_file(name)) ++result.index_files_removed;
  }

  // 4. The packs nothing indexes any more.
  progress = {PrunePhase::deleting, 0, plan.packs_to_remove.size(), 0, 0};
  for (const auto& name : plan.packs_to_remove) {
    stop_if_cancelled(reporter);
    if (store.remove(Repository::pack_key(name))) ++result.packs_removed;
    ++progress.done;
    reporter.progress(progress);
  }

  for (const auto& [name, size] : list_packs(store))
    result.stored_after += size;
  result.plan = std::move(plan);
  return result;
}

} // namespace offsite::core
