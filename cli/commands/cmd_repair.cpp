// offsite repair index | snapshots: the command-line half of
// core/maintenance/repair.hpp. Both delete (old index files, damaged
// snapshot documents), so both take the exclusive lease and are refused on
// an append-only account, except with --dry-run.
#include <memory>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/progress.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/maintenance/repair.hpp"

namespace offsite::cli {

struct RepairOptions {
  bool dry_run = false;
};

namespace {

constexpr std::size_t k_listed_packs = 5;

class RepairProgressReporter : public core::RepairReporter {
public:
  explicit RepairProgressReporter(Terminal& terminal) : m_output(terminal) {}

  void progress(const core::RepairProgress& p) override {
    const std::string_view phase = core::repair_phase_name(p.phase);
    m_output.draw([&] {
      if (p.total == 0) return fmt::format("{} {}", m_output.elapsed(), phase);
      return fmt::format("{} {}: {} / {}", m_output.elapsed(), phase, p.done, p.total);
    });
    m_output.status([&] { return phase_fields(phase, p); });
  }

  bool cancelled() override { return interrupted(); }

private:
  ProgressOutput m_output;
};

// "ab12cd34ef56, 0011aabbccdd, ..." (text); JSON lists every name.
std::string some_packs(const std::vector<std::string>& packs) {
  std::string out;
  for (std::size_t i = 0; i < packs.size() && i < k_listed_packs; ++i)
    out += (i ? ", " : "") + packs[i].substr(0, 12);
  if (packs.size() > k_listed_packs) out += ", ...";
  return out;
}

RepoLock lock_for(const RepairOptions& options) {
  return options.dry_run ? RepoLock::shared : RepoLock::deleting;
}

int run_repair_index(const RepairOptions& options, const GlobalOptions& global,
                     Terminal& terminal) {
  terminal.stream_events();
  return with_repository(global, terminal, {}, lock_for(options), [&](RepositoryContext& ctx) {
    RepairProgressReporter reporter(terminal);
    const auto r = core::repair_index(ctx.repo, options.dry_run, reporter);
    terminal.clear_progress();
    // with_repository already warned about each damaged index file.
    if (!r.missing_packs.empty())
      terminal.warning(fmt::format(
          "{} pack(s) named by the index are missing ({}); the index no longer names them: run "
          "\"offsite check\" to see which snapshots lost data",
          r.missing_packs.size(), some_packs(r.missing_packs)));
    if (!r.damaged_packs.empty())
      terminal.warning(fmt::format(
          "{} pack(s) have a damaged header ({}) and are left out of the index; they are kept "
          "in the repository: run \"offsite check\" to see which snapshots lose data",
          r.damaged_packs.size(), some_packs(r.damaged_packs)));
    if (terminal.json()) {
      terminal.emit({{"type", "summary"},
                     {"command", "repair index"},
                     {"dry_run", options.dry_run},
                     {"changed", r.changed},
                     {"packs", r.packs},
                     {"packs_read", r.packs_read},
                     {"recovered_packs", r.recovered_packs},
                     {"missing_packs", r.missing_packs},
                     {"damaged_packs", r.damaged_packs},
                     {"damaged_index_files", r.damaged_index_files.size()},
                     {"index_files_before", r.index_files_before},
                     {"index_files_written", r.index_files_written.size()},
                     {"index_files_removed", r.index_files_removed}});
      return 0;
    }
    if (!r.changed) {
      terminal.out(fmt::format("the index already names every pack ({}); nothing to do",
                               count_of(r.packs, "pack")));
      return 0;
    }
    const std::string_view verb = options.dry_run ? "would " : "";
    terminal.out(fmt::format(
        "{}index {} ({} not indexed before, {} header(s) read), {}drop {} missing, {}replace {} "
        "index file(s) ({} damaged)",
        verb, count_of(r.packs, "pack"), r.recovered_packs.size(), r.packs_read, verb,
        r.missing_packs.size(), verb, r.index_files_before + r.damaged_index_files.size(),
        r.damaged_index_files.size()));
    if (options.dry_run)
      terminal.out("dry run: nothing was changed");
    else
      terminal.out(fmt::format("wrote {} index file(s), removed {} old one(s)",
                               r.index_files_written.size(), r.index_files_removed));
    return 0;
  });
}

int run_repair_snapshots(const RepairOptions& options, const GlobalOptions& global,
                         Terminal& terminal) {
  terminal.stream_events();
  return with_repository(global, terminal, {}, lock_for(options), [&](RepositoryContext& ctx) {
    RepairProgressReporter reporter(terminal);
    const auto r = core::repair_snapshots(ctx.repo, options.dry_run, reporter);
    terminal.clear_progress();
    const std::string_view verb = options.dry_run ? "would remove" : "removed";
    for (const auto& d : r.damaged) {
      if (terminal.json())
        terminal.emit({{"type", "damaged_snapshot"},
                       {"snapshot_id", d.id},
                       {"message", d.reason},
                       {"removed", !options.dry_run}});
      else
        terminal.out(fmt::format("{} snapshot {}: {}", verb, d.id.substr(0, 8), d.reason));
    }
    if (terminal.json()) {
      terminal.emit({{"type", "summary"},
                     {"command", "repair snapshots"},
                     {"dry_run", options.dry_run},
                     {"snapshots", r.snapshots},
                     {"damaged", r.damaged.size()},
                     {"removed", r.removed}});
      return 0;
    }
    if (r.damaged.empty())
      terminal.out(fmt::format("every snapshot can be read ({}); nothing to do",
                               count_of(r.snapshots, "snapshot")));
    else if (options.dry_run)
      terminal.out("dry run: nothing was changed");
    else
      terminal.out(fmt::format(
          "removed {} damaged snapshot(s); the data only they used goes at the next \"offsite "
          "prune\"",
          r.removed));
    return 0;
  });
}

} // namespace

void register_repair(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<RepairOptions>();
  auto* sub = app.add_subcommand("repair", "Rebuild the index from the packs, remove damaged "
                                           "snapshots");
  sub->require_subcommand(1);

  auto* index = sub->add_subcommand(
      "index", "Rebuild the index from the packs' headers; old index files go last");
  index->add_flag("-n,--dry-run", options->dry_run, "Show what would change, change nothing");
  index->footer("Examples:\n  offsite repair index --dry-run\n  offsite repair index");
  index->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_repair_index(*options, global, t); };
  });

  auto* snapshots = sub->add_subcommand(
      "snapshots", "Remove snapshots that cannot be read (fail authentication or decoding)");
  snapshots->add_flag("-n,--dry-run", options->dry_run, "List them, remove nothing");
  snapshots->footer("Examples:\n  offsite repair snapshots --dry-run\n  offsite repair snapshots");
  snapshots->callback([options, &global] {
    global.run = [options, &global](Terminal& t) {
      return run_repair_snapshots(*options, global, t);
    };
  });
  sub->footer("Examples:\n"
              "  offsite repair index\n"
              "  offsite repair snapshots --dry-run");
}

} // namespace offsite::cli
