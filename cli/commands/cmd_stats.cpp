#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/maintenance/stats.hpp"

namespace offsite::cli {

struct StatsOptions {
  std::vector<std::string> ids; // only these (IDs, prefixes or "latest")
  core::SnapshotFilter filter;
  std::string mode; // "" (everything), restore-size or raw-data
};

namespace {

// restic's modes, by their names: what restoring the snapshots writes, or
// what their blobs take in the repository.
std::string mode_text(const std::string& mode, const core::StatsResult& s) {
  if (mode == "restore-size")
    return fmt::format("Snapshots:          {}\n"
                       "Total file count:   {}\n"
                       "Total size:         {} (what restoring them writes)",
                       s.snapshots, s.files, format_bytes(s.logical_size));
  return fmt::format("Snapshots:          {}\n"
                     "Total blob count:   {} ({} data, {} tree)\n"
                     "Uncompressed size:  {}\n"
                     "Total size:         {} (their blobs as stored)\n"
                     "Compression ratio:  {:.2f}x",
                     s.snapshots, s.data_blobs + s.tree_blobs, s.data_blobs, s.tree_blobs,
                     format_bytes(s.blobs_raw), format_bytes(s.blobs_stored),
                     s.compression_ratio());
}

int run_stats(const StatsOptions& options, const GlobalOptions& global, Terminal& terminal) {
  if (!options.mode.empty() && options.mode != "restore-size" && options.mode != "raw-data")
    throw Error(Code::usage, fmt::format("--mode: \"{}\" is not a mode", printable(options.mode)),
                "use restore-size (what a restore writes) or raw-data (what the blobs take)");
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    const auto listing = list_snapshots_checked(ctx, global, terminal).listing;
    const auto snapshots = chosen_snapshots(ctx.repo, options.ids, options.filter, listing);
    const auto s = core::compute_stats(ctx.repo, snapshots, [&](std::uint64_t trees) {
      if (terminal.progress_enabled()) terminal.progress(fmt::format("reading trees: {}", trees));
    });
    terminal.clear_progress();
    if (terminal.json()) {
      nlohmann::json doc = {{"type", "stats"},
                            {"snapshots", s.snapshots},
                            {"files", s.files},
                            {"logical_size", s.logical_size},
                            {"unique_size", s.unique_size},
                            {"data_blobs", s.data_blobs},
                            {"tree_blobs", s.tree_blobs},
                            {"unique_blobs", s.data_blobs + s.tree_blobs},
                            {"blobs_raw_size", s.blobs_raw},
                            {"blobs_stored_size", s.blobs_stored},
                            {"packs", s.packs},
                            {"stored_size", s.stored_size},
                            {"dedup_ratio", s.dedup_ratio()},
                            {"compression_ratio", s.compression_ratio()},
                            {"damaged", damaged_snapshot_ids(listing)}};
      // restic's field names for its modes, beside ours.
      if (options.mode == "restore-size") {
        doc["mode"] = options.mode;
        doc["total_size"] = s.logical_size;
        doc["total_file_count"] = s.files;
      } else if (options.mode == "raw-data") {
        doc["mode"] = options.mode;
        doc["total_size"] = s.blobs_stored;
        doc["total_uncompressed_size"] = s.blobs_raw;
        doc["total_blob_count"] = s.data_blobs + s.tree_blobs;
      }
      terminal.emit(std::move(doc));
      return 0;
    }
    if (!options.mode.empty()) {
      terminal.out(mode_text(options.mode, s));
      return 0;
    }
    terminal.out(
        fmt::format("Snapshots:          {}\n"
                    "Files:              {} (summed over snapshots)\n"
                    "Logical size:       {} (summed over snapshots)\n"
                    "Unique size:        {} (to restore every snapshot, after deduplication)\n"
                    "Unique blobs:       {} ({} data, {} tree)\n"
                    "Stored size:        {} in {} packs\n"
                    "Dedup ratio:        {:.2f}x\n"
                    "Compression ratio:  {:.2f}x",
                    s.snapshots, s.files, format_bytes(s.logical_size), format_bytes(s.unique_size),
                    s.data_blobs + s.tree_blobs, s.data_blobs, s.tree_blobs,
                    format_bytes(s.stored_size), s.packs, s.dedup_ratio(), s.compression_ratio()));
    return 0;
  });
}

} // namespace

void register_stats(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<StatsOptions>();
  auto* sub = app.add_subcommand("stats", "Show repository statistics: sizes, dedup, compression");
  sub->add_option("id", options->ids, "Only these snapshots (ID, unique prefix or \"latest\")")
      ->type_name("ID");
  add_snapshot_filter(*sub, options->filter);
  sub->add_option("--mode", options->mode,
                  "restore-size (what a restore writes) or raw-data (what the blobs take)")
      ->type_name("MODE");
  sub->footer("Examples:\n"
              "  offsite stats\n"
              "  offsite stats latest --mode restore-size\n"
              "  offsite --json stats | jq .stored_size");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_stats(*options, global, t); };
  });
}

} // namespace offsite::cli
