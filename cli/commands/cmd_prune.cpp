#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/commands/prune_run.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/progress.hpp"
#include "core/common/error.hpp"
#include "core/maintenance/prune.hpp"

namespace offsite::cli {

namespace {

class PruneProgressReporter : public core::PruneReporter {
public:
  explicit PruneProgressReporter(Terminal& terminal) : m_output(terminal) {}

  void progress(const core::PruneProgress& p) override {
    const std::string_view phase = core::prune_phase_name(p.phase);
    m_output.draw([&] {
      if (p.total == 0) return fmt::format("{} {}: {} trees", m_output.elapsed(), phase, p.done);
      return fmt::format("{} {}: {} / {}{}", m_output.elapsed(), phase, p.done, p.total,
                         p.bytes_total ? fmt::format(", {} / {}", format_bytes(p.bytes_done),
                                                     format_bytes(p.bytes_total))
                                       : "");
    });
    m_output.status([&] { return phase_fields(phase, p); });
  }

  bool cancelled() override { return interrupted(); }

private:
  ProgressOutput m_output;
};

nlohmann::json counts_json(const core::PruneCounts& c) {
  return {{"packs", c.packs}, {"blobs", c.blobs}, {"bytes", c.bytes}};
}

std::string describe(const core::PruneCounts& c, std::string_view what) {
  return fmt::format("{} {} pack{} ({} blobs, {})", what, c.packs, c.packs == 1 ? "" : "s", c.blobs,
                     format_bytes(c.bytes));
}

std::string plan_text(const core::PrunePlan& plan, bool dry_run) {
  std::string text =
      fmt::format("{} snapshots reference {} blobs; {} packs hold {}\n", plan.snapshots,
                  plan.blobs_referenced, plan.packs_before, format_bytes(plan.stored_before));
  if (plan.nothing_to_do()) return text + "nothing to prune";
  const std::string_view verb = dry_run ? "would " : "";
  text += fmt::format("{}{}\n", verb, describe(plan.remove, "delete"));
  if (plan.unindexed_packs)
    text += fmt::format("{} pack{} in no index (left by an interrupted run): {} holding blobs in "
                        "use {}indexed again, the others judged like the rest\n",
                        plan.unindexed_packs, plan.unindexed_packs == 1 ? "" : "s",
                        plan.unindexed_kept, dry_run ? "would be " : "");
  text += fmt::format("{}{}, keeping {} blobs ({})\n", verb, describe(plan.repack, "repack"),
                      plan.repack_keep.blobs, format_bytes(plan.repack_keep.bytes));
  if (plan.missing_packs)
    text += fmt::format("{}drop {} missing pack{} from the index (nothing in them is used)\n", verb,
                        plan.missing_packs, plan.missing_packs == 1 ? "" : "s");
  text += fmt::format("stored size {} -> about {}", format_bytes(plan.stored_before),
                      format_bytes(plan.stored_after_estimate));
  return text;
}

} // namespace

int run_prune(RepositoryContext& context, Terminal& terminal, const PruneOptions& options) {
  terminal.stream_events();
  if (!(options.max_repack_unused >= 0 && options.max_repack_unused <= 100))
    throw Error(
        Code::usage,
        fmt::format("--max-repack-unused {} is not a percentage", options.max_repack_unused),
        "give a number from 0 (repack any pack with unused data) to 100 (never repack)");
  core::PruneOptions core_options;
  core_options.max_repack_unused_percent = options.max_repack_unused;
  PruneProgressReporter reporter(terminal);
  core::PrunePlan plan = core::plan_prune(context.repo, core_options, reporter);
  terminal.clear_progress();

  nlohmann::json summary = {{"type", "summary"},
                            {"command", "prune"},
                            {"dry_run", options.dry_run},
                            {"snapshots", plan.snapshots},
                            {"blobs_referenced", plan.blobs_referenced},
                            {"packs_before", plan.packs_before},
                            {"stored_before", plan.stored_before},
                            {"deleted", counts_json(plan.remove)},
                            {"unindexed_packs", plan.unindexed_packs},
                            {"unindexed_kept", plan.unindexed_kept},
                            {"unreadable_packs", plan.unreadable_packs},
                            {"missing_packs", plan.missing_packs},
                            {"repacked", counts_json(plan.repack)},
                            {"repack_kept", counts_json(plan.repack_keep)}};
  if (!plan.unreadable_packs.empty())
    terminal.warning(fmt::format(
        "{} pack{} in no index whose header cannot be read: left alone (offsite check names them)",
        plan.unreadable_packs.size(), plan.unreadable_packs.size() == 1 ? "" : "s"));
  if (options.dry_run) {
    if (terminal.json()) {
      summary["stored_after"] = plan.stored_after_estimate;
      terminal.emit(std::move(summary));
    } else {
      terminal.out(plan_text(plan, true));
      terminal.out("dry run: nothing was changed");
    }
    return 0;
  }
  if (!terminal.json()) terminal.info(plan_text(plan, false));
  const auto result = core::execute_prune(context.repo, std::move(plan), core_options, reporter);
  terminal.clear_progress();
  if (terminal.json()) {
    summary["stored_after"] = result.stored_after;
    summary["packs_written"] = result.packs_written;
    summary["packs_removed"] = result.packs_removed;
    summary["index_files_written"] = result.index_files_written;
    summary["index_files_removed"] = result.index_files_removed;
    terminal.emit(std::move(summary));
  } else if (!result.plan.nothing_to_do()) {
    terminal.info(fmt::format("removed {} packs, wrote {} new; stored size {} -> {}",
                              result.packs_removed, result.packs_written,
                              format_bytes(result.plan.stored_before),
                              format_bytes(result.stored_after)));
  }
  return 0;
}

void register_prune(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<PruneOptions>();
  auto* sub = app.add_subcommand("prune", "Remove data no snapshot references");
  sub->add_flag("-n,--dry-run", options->dry_run, "Show what would be removed, change nothing");
  sub->add_option("--max-repack-unused", options->max_repack_unused,
                  "Repack packs whose unused share exceeds PERCENT (default 50; 100 = never)")
      ->type_name("PERCENT");
  sub->footer("Examples:\n"
              "  offsite prune --dry-run\n"
              "  offsite prune --max-repack-unused 20");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) {
      // A dry run may look at an append-only account; a real one is refused
      // there before it uploads anything (RepoLock::deleting).
      const RepoLock lock = options->dry_run ? RepoLock::shared : RepoLock::deleting;
      return with_repository(global, t, {}, lock,
                             [&](RepositoryContext& ctx) { return run_prune(ctx, t, *options); });
    };
  });
}

} // namespace offsite::cli
