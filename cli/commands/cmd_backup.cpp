#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/progress.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/backup/archiver.hpp"
#include "core/backup/backup_paths.hpp"
#include "core/backup/backup_scanner.hpp"
#include "core/backup/exclude.hpp"
#include "core/backup/files_from.hpp"
#include "core/common/error.hpp"
#include "core/common/host.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

struct BackupOptions {
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
  std::vector<std::string> exclude_files;
  std::vector<std::string> iexcludes;
  bool exclude_caches = false;
  std::vector<std::string> exclude_if_present;
  bool one_file_system = false;
  std::vector<std::string> tags;
  std::string host;
  bool use_stdin = false;
  std::string stdin_filename = "stdin";
  bool dry_run = false;
  bool accept_rollback = false;
  int compression = 3;
  std::string time;
  std::vector<std::string> files_from;
  std::vector<std::string> files_from_verbatim;
  std::string parent;
  bool force = false;
  bool skip_if_unchanged = false;
};

namespace {

class BackupProgressReporter : public core::BackupReporter {
public:
  BackupProgressReporter(Terminal& terminal, const core::BackupScanner* scanner)
      : m_output(terminal), m_scanner(scanner) {}

  void warning(const std::string& path, const std::string& message) override {
    m_output.warning(path, message);
  }

  void progress(const core::BackupProgress& p) override {
    m_output.draw([&] { return line(p); });
    // As restic's: the totals grow while the scan still counts; percent_done
    // (0-100, as restore's) is of the bytes counted so far.
    m_output.status([&] {
      nlohmann::json fields = {{"files_done", p.files_done},
                               {"bytes_done", p.bytes_done},
                               {"current_file", p.current_path}};
      if (m_scanner) {
        const std::uint64_t bytes = std::max(m_scanner->bytes(), p.bytes_done);
        fields["total_files"] = std::max(m_scanner->files(), p.files_done);
        fields["total_bytes"] = bytes;
        fields["scan_done"] = m_scanner->done();
        fields["percent_done"] = percent_of(p.bytes_done, bytes, m_scanner->done() ? 100.0 : 0.0);
      }
      return fields;
    });
  }

  bool cancelled() override { return interrupted(); }

private:
  // "[0:12] 37.5% 3 of 8 files, 60.0 MiB / 160.0 MiB, 5.0 MiB/s ETA 0:20  PATH"
  // once the scan has counted everything; until then only what is done.
  std::string line(const core::BackupProgress& p) {
    const double rate = m_output.rate(p.bytes_done);
    if (!m_scanner || !m_scanner->done())
      return fmt::format("{} {}, {}, {}  {}", m_output.elapsed(), count_of(p.files_done, "file"),
                         format_bytes(p.bytes_done), rate_text(rate), printable(p.current_path));
    const std::uint64_t files = std::max(m_scanner->files(), p.files_done);
    const std::uint64_t bytes = std::max(m_scanner->bytes(), p.bytes_done);
    return fmt::format("{} {:.1f}% {} of {}, {} / {}, {}{}  {}", m_output.elapsed(),
                       percent_of(p.bytes_done, bytes, 100.0), p.files_done,
                       count_of(files, "file"), format_bytes(p.bytes_done), format_bytes(bytes),
                       rate_text(rate), m_output.eta(p.bytes_done, bytes, rate),
                       printable(p.current_path));
  }

  ProgressOutput m_output;
  const core::BackupScanner* m_scanner;
};

nlohmann::json summary_json(const core::BackupResult& result, bool dry_run) {
  const auto& s = result.snapshot.summary;
  return {{"type", "summary"},
          {"command", "backup"},
          {"snapshot_id", result.snapshot_id},
          {"dry_run", dry_run},
          {"skipped", result.skipped},
          {"parent", result.snapshot.parent ? nlohmann::json(*result.snapshot.parent) : nullptr},
          {"partial", result.partial},
          {"warnings", result.warnings},
          {"files_new", s.files_new},
          {"files_changed", s.files_changed},
          {"files_unmodified", s.files_unmodified},
          {"files_failed", s.files_failed},
          {"dirs", s.dirs},
          {"data_blobs_new", s.data_blobs_new},
          {"tree_blobs_new", s.tree_blobs_new},
          {"bytes_processed", s.bytes_processed},
          {"bytes_read", s.bytes_read},
          {"bytes_added", s.bytes_added},
          {"duration_seconds", s.duration_seconds}};
}

} // namespace

int run_backup(const BackupOptions& options, const GlobalOptions& global, Terminal& terminal) {
  terminal.stream_events();
  core::BackupOptions archive;
  for (const auto& path : options.paths)
    archive.paths.emplace_back(path);
  const auto add_listed = [&](const std::vector<std::string>& files, core::ListStyle style,
                              const std::string& flag) {
    for (const auto& file : files) {
      const auto listed = core::read_path_list(file, style, flag);
      if (listed.empty())
        throw Error(Code::usage, fmt::format("{} {} lists no path", flag, util::printable(file)),
                    "put one path per line in it (blank lines and # comments are skipped)");
      archive.paths.insert(archive.paths.end(), listed.begin(), listed.end());
    }
  };
  add_listed(options.files_from, core::ListStyle::patterns, "--files-from");
  add_listed(options.files_from_verbatim, core::ListStyle::verbatim, "--files-from-verbatim");
  if (options.use_stdin) archive.stdin_name = options.stdin_filename;
  // Checked again by the archiver; asked here only so that a usage error
  // comes before the repository is opened (and its passphrase asked for).
  (void)core::backup_snapshot_paths(archive.paths, archive.stdin_name);

  for (const auto& pattern : options.excludes)
    archive.excludes.add_pattern(pattern);
  for (const auto& file : options.exclude_files)
    archive.excludes.add_file(file);
  for (const auto& pattern : options.iexcludes)
    archive.excludes.add_pattern(pattern, true);
  archive.markers.cachedir_tag = options.exclude_caches;
  archive.markers.names = options.exclude_if_present;
  archive.one_file_system = options.one_file_system;
  archive.tags = split_tag_list(options.tags); // "--tag a,b" is two tags, as in restic
  archive.host = options.host;
  archive.dry_run = options.dry_run;
  archive.find_parent = true;
  archive.reread = options.force;
  archive.skip_if_unchanged = options.skip_if_unchanged;
  if (!options.time.empty()) archive.time_ns = parse_time(options.time, "--time");

  core::RepositoryOptions repo_options;
  repo_options.zstd_level = options.compression;
  return with_repository(
      global, terminal, repo_options, RepoLock::shared, [&](RepositoryContext& ctx) {
        // A data centre that lost this host's newest snapshot (restored from
        // an older copy) must not get a new one built on the older state.
        list_snapshots_checked(ctx, global, terminal,
                               {.refuse = !options.dry_run, .accept = options.accept_rollback});
        if (!options.parent.empty()) {
          // "latest" is this host's newest (--host's when given), as the
          // parent backup would choose by itself.
          core::SnapshotFilter own;
          own.hosts = {options.host.empty() ? core::local_host_name() : options.host};
          archive.parent = resolve_snapshot_checked(ctx, global, terminal, options.parent, own).id;
        }
        auto cache = core::FilesCache::load(ctx.files_cache);
        // The scan exists only while the backup runs, and only when a
        // progress line is drawn or status events carry its totals: cron
        // pays nothing for it.
        std::optional<core::BackupScanner> scanner;
        if ((terminal.progress_enabled() || terminal.json()) && !archive.stdin_name)
          scanner.emplace(archive);
        BackupProgressReporter reporter(terminal, scanner ? &*scanner : nullptr);
        const auto result = core::backup(ctx.repo, &cache, archive, reporter);
        scanner.reset();
        terminal.clear_progress();
        // The snapshot is saved by now: a cache that cannot be written costs
        // the next backup time (it reads every file again), never this
        // backup's outcome.
        if (!options.dry_run && !result.skipped) {
          core::Snapshot saved = result.snapshot;
          saved.id = result.snapshot_id;
          remember_saved_snapshot(ctx, global, terminal, saved);
          try {
            cache.save(ctx.files_cache);
          } catch (const std::exception& e) {
            terminal.warning(fmt::format("could not save the files cache ({}); the next backup "
                                         "reads every file again",
                                         e.what()));
          }
        }

        const auto& s = result.snapshot.summary;
        if (terminal.json()) {
          terminal.emit(summary_json(result, options.dry_run));
        } else {
          terminal.info(
              fmt::format("Files: {} new, {} changed, {} unmodified{}", s.files_new,
                          s.files_changed, s.files_unmodified,
                          s.files_failed ? fmt::format(", {} failed", s.files_failed) : ""));
          terminal.info(fmt::format(
              "Processed {} in {}, added {} to the repository", format_bytes(s.bytes_processed),
              format_duration(s.duration_seconds), format_bytes(s.bytes_added)));
          if (options.dry_run)
            terminal.info("dry run: nothing was stored");
          else if (result.skipped)
            terminal.info(fmt::format("nothing changed since snapshot {}; no snapshot saved "
                                      "(--skip-if-unchanged)",
                                      result.snapshot.parent->substr(0, 8)));
          else
            terminal.info(
                fmt::format("snapshot {} saved{}", result.snapshot_id.substr(0, 8),
                            result.partial ? " (partial: some files could not be read)" : ""));
        }
        if (result.partial) {
          const std::string what = fmt::format(
              "{} file(s) could not be read; the snapshot is marked partial", s.files_failed);
          if (!terminal.json()) {
            terminal.warning(what);
            return code_info(Code::partial).exit_status;
          }
          // JSON: a non-zero exit ends with the error object, after the summary.
          throw Error(Code::partial, fmt::format("{} ({})", what, result.snapshot_id.substr(0, 8)),
                      "the warnings above name the files; fix their permissions and back up "
                      "again");
        }
        return 0;
      });
}

namespace {

// Values are checked while the command line is parsed, so that
// `schedule install` (which parses the job's flags with this same
// definition) refuses what the nightly backup would refuse.
CLI::Validator zstd_level() {
  return {[](std::string& value) -> std::string {
            int level = 0;
            const auto* end = value.data() + value.size();
            const auto [at, ec] = std::from_chars(value.data(), end, level);
            if (ec != std::errc{} || at != end || level < 1 || level > 19)
              return fmt::format("\"{}\" is not a zstd level\nuse 1 (fastest) to 19 (smallest)",
                                 util::printable(value));
            return {};
          },
          ""};
}

// --exclude-if-present takes a name found in the directory itself.
CLI::Validator entry_name() {
  return {[](std::string& value) -> std::string {
            if (value.empty() || value == "." || value == ".." ||
                value.find('/') != std::string::npos)
              return fmt::format("\"{}\" is not a file name\ngive the name of the marker file "
                                 "alone, as in --exclude-if-present .nobackup",
                                 util::printable(value));
            return {};
          },
          ""};
}

// Opened, not read: a pipe (--files-from <(find ...)) can be read only once,
// by the backup itself.
CLI::Validator readable_path_list(const std::string& flag) {
  return {[flag](std::string& value) -> std::string {
            if (std::ifstream(value).is_open()) return {};
            return fmt::format("cannot read the list file {}: {}\ncheck the path given to {}",
                               util::printable(value), std::strerror(errno), flag);
          },
          ""};
}

CLI::Validator readable_pattern_file() {
  return {[](std::string& value) -> std::string {
            try {
              core::PathMatcher probe;
              probe.add_file(value);
            } catch (const Error& e) {
              return std::string(e.what()) + "\n" + e.hint(); // cli/usage_errors.hpp
            }
            return {};
          },
          ""};
}

} // namespace

void register_backup(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<BackupOptions>();
  auto* sub = app.add_subcommand("backup", "Back up files and directories (or a stream)");
  sub->add_option("paths", options->paths, "Files and directories to back up");
  sub->add_option("-e,--exclude", options->excludes, "Exclude paths matching a glob pattern")
      ->type_name("PATTERN");
  sub->add_option("--exclude-file", options->exclude_files,
                  "Read exclude patterns from a file, one per line")
      ->type_name("FILE")
      ->check(readable_pattern_file());
  sub->add_option("--iexclude", options->iexcludes,
                  "Exclude paths matching a glob pattern, ignoring case")
      ->type_name("PATTERN");
  sub->add_flag("--exclude-caches", options->exclude_caches,
                "Skip the contents of directories holding a CACHEDIR.TAG");
  sub->add_option("--exclude-if-present", options->exclude_if_present,
                  "Skip the contents of directories holding an entry of this name (repeatable)")
      ->type_name("NAME")
      ->check(entry_name());
  sub->add_option("--files-from", options->files_from,
                  "Back up the paths listed in FILE, one per line (# comments, "
                  "glob patterns; repeatable)")
      ->type_name("FILE")
      ->check(readable_path_list("--files-from"));
  sub->add_option("--files-from-verbatim", options->files_from_verbatim,
                  "Back up the paths listed in FILE, one per line, taken "
                  "literally (repeatable)")
      ->type_name("FILE")
      ->check(readable_path_list("--files-from-verbatim"));
  sub->add_option("--parent", options->parent,
                  "Compare with this snapshot instead of the newest of this host and paths")
      ->type_name("SNAPSHOT");
  sub->add_flag("--force", options->force,
                "Read every file again, even those the files cache shows unchanged");
  sub->add_flag("--skip-if-unchanged", options->skip_if_unchanged,
                "Save no snapshot when nothing changed since the parent snapshot");
  sub->add_flag("-x,--one-file-system", options->one_file_system,
                "Stay on the file system of each given path");
  sub->add_option("--tag", options->tags, "Tag the snapshot (\"a,b\"; repeatable)")
      ->type_name("TAG[,TAG]");
  sub->add_option("--host", options->host, "Record this host name instead of the real one");
  sub->add_flag("--stdin", options->use_stdin, "Back up standard input as one file");
  sub->add_option("--stdin-filename", options->stdin_filename,
                  "File name for --stdin (default: stdin)")
      ->type_name("NAME");
  sub->add_flag("-n,--dry-run", options->dry_run, "Read and chunk everything, store nothing");
  sub->add_flag("--accept-rollback", options->accept_rollback,
                "Back up even though the repository's newest snapshot of a host is older than "
                "this client saw (it was forgotten elsewhere)");
  sub->add_option("--compression", options->compression, "zstd level 1-19 (default 3)")
      ->type_name("LEVEL")
      ->check(zstd_level());
  sub->add_option("--time", options->time,
                  "Record this time instead of now (\"YYYY-MM-DD HH:MM:SS\", UTC)")
      ->type_name("TIME");
  sub->footer("Examples:\n"
              "  offsite backup ~/Documents ~/Pictures --exclude '*.tmp' --exclude-caches\n"
              "  pg_dump mydb | offsite backup --stdin --stdin-filename mydb.sql");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_backup(*options, global, t); };
  });
}

} // namespace offsite::cli
