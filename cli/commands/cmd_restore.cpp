#include <memory>
#include <vector>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/progress.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/restore/restorer.hpp"

namespace offsite::cli {

struct RestoreOptions {
  std::string snapshot; // SNAPSHOT[:PATH]
  std::string target;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  bool verify = false;
  std::string overwrite = "always";
  bool dry_run = false;
  bool delete_extra = false;
  core::SnapshotFilter filter; // chooses what "latest" means
};

namespace {

class RestoreProgressReporter : public core::RestoreReporter {
public:
  explicit RestoreProgressReporter(Terminal& terminal) : m_terminal(terminal), m_output(terminal) {}

  void warning(const std::string& path, const std::string& message) override {
    m_output.warning(path, message);
  }

  void progress(const core::RestoreProgress& p) override {
    const double percent = percent_of(p.bytes_done, p.bytes_total, 100.0);
    m_output.draw([&] {
      const double rate = m_output.rate(p.bytes_done);
      return fmt::format("{} {:.1f}% {}, {} / {}, {}{}  {}", m_output.elapsed(), percent,
                         count_of(p.files_done, "file"), format_bytes(p.bytes_done),
                         format_bytes(p.bytes_total), rate_text(rate),
                         m_output.eta(p.bytes_done, p.bytes_total, rate),
                         printable(p.current_path));
    });
    m_output.status([&] {
      return nlohmann::json{{"percent_done", percent},
                            {"files_done", p.files_done},
                            {"bytes_done", p.bytes_done},
                            {"bytes_total", p.bytes_total},
                            {"current_file", p.current_path}};
    });
  }

  // -v (or a dry run with -v): one line per entry's fate; in JSON, an
  // "entry" event.
  void entry(const std::string& path, core::RestoreAction action) override {
    if (m_terminal.verbosity() < 1) return;
    if (m_terminal.json()) {
      m_terminal.emit(
          {{"type", "entry"}, {"action", core::restore_action_name(action)}, {"path", path}});
      return;
    }
    m_terminal.info(fmt::format("{:<9} {}", core::restore_action_name(action), printable(path)));
  }

  bool cancelled() override { return interrupted(); }

private:
  Terminal& m_terminal;
  ProgressOutput m_output;
};

std::string entries_of(std::uint64_t n) {
  return fmt::format("{} {}", n, n == 1 ? "entry" : "entries");
}

core::Overwrite parse_overwrite(const std::string& value) {
  if (value == "always") return core::Overwrite::always;
  if (value == "if-changed") return core::Overwrite::if_changed;
  if (value == "never") return core::Overwrite::never;
  throw Error(Code::usage, fmt::format("--overwrite {} is not a policy", value),
              "use always, if-changed or never");
}

nlohmann::json damaged_json(const std::vector<core::DamagedEntry>& damaged) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : damaged)
    list.push_back(
        {{"path", d.path}, {"node_type", d.directory ? "dir" : "file"}, {"reason", d.reason}});
  return list;
}

// After the summary: the run brought back all it could, but not everything.
Error damage_error(const std::vector<core::DamagedEntry>& damaged) {
  return Error(Code::integrity,
               fmt::format("{} {} not be restored because the repository's data for {} is damaged "
                           "or missing (each is named above); everything else was restored",
                           damaged.size(), damaged.size() == 1 ? "entry could" : "entries could",
                           damaged.size() == 1 ? "it" : "them"),
               "run offsite check --read-data to see the damage and the snapshots it affects; if "
               "the originals still exist, the next backup stores their data again");
}

} // namespace

int run_restore(const RestoreOptions& options, const GlobalOptions& global, Terminal& terminal) {
  terminal.stream_events();
  if (options.target.empty())
    throw Error(Code::usage, "restore needs a target directory", "add --target DIR");
  core::RestoreOptions restore;
  restore.target = options.target;
  restore.verify = options.verify;
  restore.overwrite = parse_overwrite(options.overwrite);
  restore.dry_run = options.dry_run;
  restore.delete_extra = options.delete_extra;
  for (const auto& p : options.includes)
    restore.includes.add_pattern(p);
  for (const auto& p : options.excludes)
    restore.excludes.add_pattern(p);

  const auto reference = core::split_snapshot_path(options.snapshot);
  restore.sub_path = reference.path;

  return with_repository(global, terminal, {}, RepoLock::shared, [&](RepositoryContext& ctx) {
    const auto snapshot =
        resolve_snapshot_checked(ctx, global, terminal, reference.snapshot, options.filter);
    RestoreProgressReporter reporter(terminal);
    const auto result = core::restore(ctx.repo, snapshot, restore, reporter);
    terminal.clear_progress();
    if (terminal.json()) {
      terminal.emit({{"type", "summary"},
                     {"command", "restore"},
                     {"snapshot_id", snapshot.id},
                     {"target", std::filesystem::absolute(options.target).string()},
                     {"files", result.files},
                     {"dirs", result.dirs},
                     {"other", result.other},
                     {"bytes", result.bytes},
                     {"skipped", result.skipped},
                     {"overwritten", result.overwritten},
                     {"deleted", result.deleted},
                     {"dry_run", options.dry_run},
                     {"warnings", result.warnings},
                     {"verified", result.verified},
                     {"damaged", damaged_json(result.damaged)}});
    } else if (options.dry_run) {
      terminal.info(fmt::format(
          "would restore {}, {} ({}) from snapshot {} to {}: {} new, {} overwritten, {} kept{}",
          entries_of(result.files + result.other), count_of(result.dirs, "dir"),
          format_bytes(result.bytes), snapshot.id.substr(0, 8), options.target,
          result.files + result.other - result.overwritten, result.overwritten, result.skipped,
          options.delete_extra ? fmt::format(", {} deleted", result.deleted) : ""));
    } else {
      if (options.delete_extra)
        terminal.info(fmt::format("{} deleted (not in the snapshot)", entries_of(result.deleted)));
      terminal.info(fmt::format(
          "restored {}, {} ({}) from snapshot {} to {}{}", count_of(result.files, "file"),
          count_of(result.dirs, "dir"), format_bytes(result.bytes), snapshot.id.substr(0, 8),
          options.target, options.verify ? fmt::format(", {} verified", result.verified) : ""));
      if (result.skipped) terminal.info(fmt::format("{} existing entries kept", result.skipped));
    }
    if (!result.damaged.empty()) throw damage_error(result.damaged);
    // restic restores nothing and exits 0; a disaster-recovery script would
    // then carry on without its files. Nothing was written, so failing
    // loses nothing, and a mistyped pattern is the likely cause.
    if (!options.includes.empty() && result.files + result.dirs + result.other == 0)
      throw Error(Code::not_found,
                  fmt::format("nothing in snapshot {} matches --include {}",
                              snapshot.id.substr(0, 8), join_printable(options.includes, ", ")),
                  fmt::format("patterns match the paths \"offsite ls {}\" prints (e.g. "
                              "/home/me/docs, or *.txt for a name at any depth); nothing was "
                              "restored",
                              snapshot.id.substr(0, 8)));
    return 0;
  });
}

void register_restore(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<RestoreOptions>();
  auto* sub = app.add_subcommand("restore", "Restore a snapshot, or a path in it, to a directory");
  sub->add_option("snapshot", options->snapshot,
                  "Snapshot ID, unique prefix or \"latest\", optionally :/path inside it")
      ->required()
      ->type_name("SNAPSHOT[:PATH]");
  sub->add_option("-t,--target", options->target, "Directory to restore into (created if missing)")
      ->type_name("DIR");
  sub->add_option("-i,--include", options->includes, "Restore only paths matching a pattern")
      ->type_name("PATTERN");
  sub->add_option("-e,--exclude", options->excludes, "Skip paths matching a pattern")
      ->type_name("PATTERN");
  sub->add_flag("--verify", options->verify, "Read back every restored file and compare");
  sub->add_flag("-n,--dry-run", options->dry_run,
                "Only show what would be written, overwritten, kept and deleted (-v: each entry)");
  sub->add_flag("--delete", options->delete_extra,
                "Remove what the target holds that the snapshot does not (inside the target only)");
  sub->add_option("--overwrite", options->overwrite,
                  "Existing files: always (default), if-changed or never")
      ->type_name("POLICY");
  add_snapshot_filter(*sub, options->filter, ", for \"latest\"");
  sub->footer("Examples:\n"
              "  offsite restore latest --target /tmp/restore\n"
              "  offsite restore latest --host web1 --path /etc --target /tmp/etc\n"
              "  offsite restore 1a2b3c4d:/home/me/docs --target ~/docs-back --verify\n"
              "  offsite restore latest:/etc --target /etc --delete --dry-run -v");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_restore(*options, global, t); };
  });
}

} // namespace offsite::cli
