#include <memory>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/terminal.hpp"
#include "core/maintenance/stats.hpp"

namespace offsite::cli {

namespace {

int run_stats(const GlobalOptions& global, Terminal& terminal) {
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    const auto listing = list_snapshots_checked(ctx, global, terminal).listing;
    const auto s = core::compute_stats(ctx.repo, listing.snapshots, [&](std::uint64_t trees) {
      if (terminal.progress_enabled()) terminal.progress(fmt::format("reading trees: {}", trees));
    });
    terminal.clear_progress();
    if (terminal.json()) {
      terminal.emit({{"type", "stats"},
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
                     {"damaged", damaged_snapshot_ids(listing)}});
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
  auto* sub = app.add_subcommand("stats", "Show repository statistics: sizes, dedup, compression");
  sub->footer("Examples:\n"
              "  offsite stats\n"
              "  offsite --json stats | jq .stored_size");
  sub->callback(
      [&global] { global.run = [&global](Terminal& t) { return run_stats(global, t); }; });
}

} // namespace offsite::cli
