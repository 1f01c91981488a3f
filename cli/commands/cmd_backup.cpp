#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/backup/archiver.hpp"
#include "core/backup/exclude.hpp"
#include "core/common/error.hpp"
#include "core/common/host.hpp"

namespace offsite::cli {

struct BackupOptions {
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
  std::vector<std::string> exclude_files;
  bool exclude_caches = false;
  bool one_file_system = false;
  std::vector<std::string> tags;
  std::string host;
  bool use_stdin = false;
  std::string stdin_filename = "stdin";
  bool dry_run = false;
  int compression = 3;
  std::string time;
};

namespace {

// Counts what a backup of the given paths will read, on a thread of its own,
// so that the progress line can show a percentage and an ETA (restic runs
// the same kind of scanner). It is started only when progress is drawn. It
// lists directories and stats files, nothing more, at the lowest CPU
// priority, applies the backup's excludes, --exclude-caches and
// --one-file-system, and stops when the backup ends. Files that change
// meanwhile make the total an estimate; the percentage never passes 100.
class BackupScanner {
public:
  BackupScanner(const std::vector<std::string>& absolute_paths, const core::BackupOptions& options)
      : m_excludes(options.excludes), m_exclude_caches(options.exclude_caches),
        m_one_file_system(options.one_file_system),
        m_thread(
            [this, absolute_paths](const std::stop_token& stop) { run(absolute_paths, stop); }) {}
  ~BackupScanner() = default; // std::jthread asks the scan to stop and joins it

  BackupScanner(const BackupScanner&) = delete;
  BackupScanner& operator=(const BackupScanner&) = delete;

  bool done() const { return m_done.load(std::memory_order_acquire); }
  std::uint64_t files() const { return m_files.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const { return m_bytes.load(std::memory_order_relaxed); }

private:
  void run(std::vector<std::string> paths, const std::stop_token& stop) {
    // Linux keeps a nice value per thread: only the scan gives way.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    // A path below another one given is covered by it, as in the archiver.
    std::sort(paths.begin(), paths.end());
    std::string covering;
    for (const auto& path : paths) {
      if (stop.stop_requested()) return;
      if (!covering.empty() &&
          (path == covering || path.rfind(covering == "/" ? covering : covering + "/", 0) == 0))
        continue;
      covering = path;
      scan_root(path, stop);
    }
    m_done.store(true, std::memory_order_release);
  }

  void count_file(std::uint64_t size) {
    m_files.fetch_add(1, std::memory_order_relaxed);
    m_bytes.fetch_add(size, std::memory_order_relaxed);
  }

  // Like the archiver with --exclude-caches: the tag itself is backed up.
  bool skip_cache_dir(const std::filesystem::path& dir) {
    if (!m_exclude_caches || !core::is_cachedir_tag(dir)) return false;
    struct stat st {};
    const auto tag = dir / std::string(core::k_cachedir_tag_name);
    if (::lstat(tag.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      count_file(static_cast<std::uint64_t>(st.st_size));
    return true;
  }

  void scan_root(const std::string& root, const std::stop_token& stop) {
    namespace fs = std::filesystem;
    if (m_excludes.matches(root)) return;
    struct stat st {};
    if (::lstat(root.c_str(), &st) != 0) return; // the backup reports it
    if (S_ISREG(st.st_mode)) count_file(static_cast<std::uint64_t>(st.st_size));
    if (!S_ISDIR(st.st_mode) || skip_cache_dir(root)) return;
    const dev_t root_dev = st.st_dev;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (stop.stop_requested()) return;
      const fs::directory_entry& entry = *it;
      const std::string& path = entry.path().native();
      std::error_code type_ec;
      const auto type = entry.symlink_status(type_ec).type();
      if (m_excludes.matches(path)) {
        if (type == fs::file_type::directory) it.disable_recursion_pending();
        continue;
      }
      if (type == fs::file_type::regular) {
        std::error_code size_ec;
        const auto size = entry.file_size(size_ec);
        count_file(size_ec ? 0 : size);
      } else if (type == fs::file_type::directory) {
        struct stat dir_st {};
        if ((m_one_file_system && ::lstat(path.c_str(), &dir_st) == 0 &&
             dir_st.st_dev != root_dev) ||
            skip_cache_dir(entry.path()))
          it.disable_recursion_pending();
      }
    }
  }

  const core::PathMatcher m_excludes;
  const bool m_exclude_caches;
  const bool m_one_file_system;
  std::atomic<std::uint64_t> m_files{0};
  std::atomic<std::uint64_t> m_bytes{0};
  std::atomic<bool> m_done{false};
  std::jthread m_thread; // last: starts once the members above exist
};

class BackupProgressReporter : public core::BackupReporter {
public:
  BackupProgressReporter(Terminal& terminal, const BackupScanner* scanner)
      : m_terminal(terminal), m_scanner(scanner), m_start(std::chrono::steady_clock::now()) {}

  void warning(const std::string& path, const std::string& message) override {
    if (m_terminal.json()) {
      m_terminal.clear_progress();
      m_terminal.emit({{"type", "warning"}, {"path", path}, {"message", message}});
      return;
    }
    m_terminal.warning(fmt::format("{}: {}", printable(path), message));
  }

  void progress(const core::BackupProgress& p) override {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    const double rate = seconds > 0 ? static_cast<double>(p.bytes_done) / seconds : 0;
    if (m_terminal.progress_due()) m_terminal.progress(line(p, seconds, rate));
    if (m_terminal.json() && m_terminal.status_due(std::chrono::milliseconds(500)))
      m_terminal.emit({{"type", "status"},
                       {"seconds_elapsed", seconds},
                       {"files_done", p.files_done},
                       {"bytes_done", p.bytes_done},
                       {"current_file", p.current_path}});
  }

  bool cancelled() override { return interrupted(); }

private:
  // "[0:12] 37.5% 3 of 8 files, 60.0 MiB / 160.0 MiB, 5.0 MiB/s ETA 0:20  PATH"
  // once the scan has counted everything; until then only what is done.
  std::string line(const core::BackupProgress& p, double seconds, double rate) const {
    const std::string elapsed = format_duration(seconds);
    const std::string speed = format_bytes(static_cast<std::uint64_t>(rate));
    if (!m_scanner || !m_scanner->done())
      return fmt::format("[{}] {}, {}, {}/s  {}", elapsed, count_of(p.files_done, "file"),
                         format_bytes(p.bytes_done), speed, printable(p.current_path));
    const std::uint64_t files = std::max(m_scanner->files(), p.files_done);
    const std::uint64_t bytes = std::max(m_scanner->bytes(), p.bytes_done);
    const double percent =
        bytes ? 100.0 * static_cast<double>(p.bytes_done) / static_cast<double>(bytes) : 100.0;
    std::string eta;
    if (rate > 0 && bytes > p.bytes_done)
      eta = " ETA " + format_duration(static_cast<double>(bytes - p.bytes_done) / rate);
    return fmt::format("[{}] {:.1f}% {} of {}, {} / {}, {}/s{}  {}", elapsed, percent, p.files_done,
                       count_of(files, "file"), format_bytes(p.bytes_done), format_bytes(bytes),
                       speed, eta, printable(p.current_path));
  }

  Terminal& m_terminal;
  const BackupScanner* m_scanner;
  std::chrono::steady_clock::time_point m_start;
};

std::optional<std::string> find_parent(core::Repository& repo, const std::string& host,
                                       const std::vector<std::string>& paths) {
  std::optional<std::string> parent;
  for (const auto& snapshot : repo.list_snapshots()) // sorted by time: the last match wins
    if (snapshot.host == host && snapshot.paths == paths) parent = snapshot.id;
  return parent;
}

nlohmann::json summary_json(const core::BackupResult& result, bool dry_run) {
  const auto& s = result.snapshot.summary;
  return {{"type", "summary"},
          {"command", "backup"},
          {"snapshot_id", result.snapshot_id},
          {"dry_run", dry_run},
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
  if (options.paths.empty() && !options.use_stdin)
    throw Error(Code::usage, "nothing to back up", "name one or more paths, or use --stdin");
  if (!options.paths.empty() && options.use_stdin)
    throw Error(Code::usage, "--stdin cannot be combined with paths",
                "back up the paths and the stream in two runs");
  if (options.compression < 1 || options.compression > 19)
    throw Error(Code::usage, fmt::format("--compression {} is out of range", options.compression),
                "use a zstd level from 1 (fastest) to 19 (smallest)");

  core::BackupOptions archive;
  for (const auto& path : options.paths)
    archive.paths.emplace_back(path);
  for (const auto& pattern : options.excludes)
    archive.excludes.add_pattern(pattern);
  for (const auto& file : options.exclude_files)
    archive.excludes.add_file(file);
  archive.exclude_caches = options.exclude_caches;
  archive.one_file_system = options.one_file_system;
  archive.tags = options.tags;
  archive.host = options.host;
  archive.dry_run = options.dry_run;
  if (options.use_stdin) archive.stdin_name = options.stdin_filename;
  if (!options.time.empty()) archive.time_ns = parse_time(options.time, "--time");

  core::RepositoryOptions repo_options;
  repo_options.zstd_level = options.compression;
  return with_repository(
      global, terminal, repo_options, RepoLock::shared, [&](RepositoryContext& ctx) {
        auto cache = core::FilesCache::load(ctx.files_cache);
        std::vector<std::string> absolute;
        for (const auto& path : archive.paths)
          absolute.push_back(std::filesystem::absolute(path).lexically_normal().string());
        if (archive.stdin_name) absolute.push_back("/" + *archive.stdin_name);
        archive.parent = find_parent(
            ctx.repo, archive.host.empty() ? core::local_host_name() : archive.host, absolute);

        // The scan exists only while the backup runs, and only when a
        // progress line is drawn: cron and --json pipes pay nothing for it.
        std::optional<BackupScanner> scanner;
        if (terminal.progress_enabled() && !archive.stdin_name) scanner.emplace(absolute, archive);
        BackupProgressReporter reporter(terminal, scanner ? &*scanner : nullptr);
        const auto result = core::backup(ctx.repo, &cache, archive, reporter);
        scanner.reset();
        terminal.clear_progress();
        if (!options.dry_run) cache.save(ctx.files_cache);

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

void register_backup(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<BackupOptions>();
  auto* sub = app.add_subcommand("backup", "Back up files and directories (or a stream)");
  sub->add_option("paths", options->paths, "Files and directories to back up");
  sub->add_option("-e,--exclude", options->excludes, "Exclude paths matching a glob pattern")
      ->type_name("PATTERN");
  sub->add_option("--exclude-file", options->exclude_files,
                  "Read exclude patterns from a file, one per line")
      ->type_name("FILE");
  sub->add_flag("--exclude-caches", options->exclude_caches,
                "Skip the contents of directories holding a CACHEDIR.TAG");
  sub->add_flag("-x,--one-file-system", options->one_file_system,
                "Stay on the file system of each given path");
  sub->add_option("--tag", options->tags, "Tag the snapshot (repeatable)")->type_name("TAG");
  sub->add_option("--host", options->host, "Record this host name instead of the real one");
  sub->add_flag("--stdin", options->use_stdin, "Back up standard input as one file");
  sub->add_option("--stdin-filename", options->stdin_filename,
                  "File name for --stdin (default: stdin)")
      ->type_name("NAME");
  sub->add_flag("-n,--dry-run", options->dry_run, "Read and chunk everything, store nothing");
  sub->add_option("--compression", options->compression, "zstd level 1-19 (default 3)")
      ->type_name("LEVEL");
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
