// copy: snapshots from a local repository into the account (--from-repo), or
// from the account into a local repository (--repo DIR --from-account), as
// restic's copy. The destination is whatever --repo names (the account
// without it); the source has its own passphrase flags and variables. Data
// the destination already holds is not uploaded again (core/copy).
//
// Each snapshot is saved only after everything it names is flushed, so an
// interrupted copy leaves whole snapshots and reusable data, never a
// snapshot with holes; running it again skips what was copied.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/config/passphrase.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/progress.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/text.hpp"
#include "core/common/error.hpp"
#include "core/copy/snapshot_copy.hpp"
#include "core/repo/index_sync.hpp"

namespace offsite::cli {

struct CopyOptions {
  std::vector<std::string> ids; // only these (IDs, prefixes or "latest")
  core::SnapshotFilter filter;
  std::string from_repo;
  bool from_account = false;
  std::string from_password_file;
  std::string from_password_command;
  bool dry_run = false;
};

namespace {

class CopyProgressReporter : public core::CopyReporter {
public:
  explicit CopyProgressReporter(Terminal& terminal) : m_output(terminal) {}

  // The snapshot being copied, for the progress line.
  void start(std::size_t number, std::size_t total) {
    m_number = number;
    m_total = total;
  }

  void progress(const core::CopyProgress& p) override {
    m_output.draw([&] {
      return fmt::format("{} snapshot {} of {}, {} read, {}, {}  {}", m_output.elapsed(), m_number,
                         m_total, count_of(p.files, "file"), format_bytes(p.bytes_read),
                         rate_text(m_output.rate(p.bytes_read)), printable(p.path));
    });
    m_output.status([&] {
      return nlohmann::json{{"snapshots_done", m_number - 1},
                            {"snapshots_total", m_total},
                            {"files_done", p.files},
                            {"bytes_read", p.bytes_read},
                            {"current_file", p.path}};
    });
  }

  bool cancelled() override { return interrupted(); }

  void warning(const std::string& path, const std::string& message) {
    m_output.warning(path, message);
  }

private:
  ProgressOutput m_output;
  std::size_t m_number = 0;
  std::size_t m_total = 0;
};

// The source, checked before any passphrase is asked for: a mistyped
// --from-repo is said at once, in the source's own words.
void check_copy_options(CopyOptions& options, const GlobalOptions& global) {
  if (options.from_repo.empty() && !options.from_account)
    if (const char* env = std::getenv("OFFSITE_FROM_REPOSITORY"); env && *env)
      options.from_repo = env;
  if (options.from_repo.empty() == !options.from_account)
    throw Error(Code::usage, "copy needs exactly one source: --from-repo DIR or --from-account",
                "for example: offsite copy --from-repo /mnt/usb/offsite, or "
                "offsite --repo /mnt/usb/offsite copy --from-account");
  if (options.from_account && global.repo.empty())
    throw Error(Code::usage, "--from-account copies into a local repository, and none is named",
                "name the destination with --repo DIR (create it first with \"offsite --repo "
                "DIR init\")");
  if (options.from_repo.empty()) return;
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(options.from_repo) / "config", ec))
    throw Error(Code::config,
                fmt::format("there is no repository at {} (--from-repo)",
                            std::filesystem::absolute(options.from_repo).string()),
                "--from-repo names the local repository to copy from");
  if (!global.repo.empty() && std::filesystem::equivalent(options.from_repo, global.repo, ec))
    throw Error(Code::usage, "--from-repo and --repo name the same repository",
                "copy between two different repositories");
}

// Snapshots copied per flush of the destination, at most; and source bytes.
constexpr std::size_t k_batch_snapshots = 32;
constexpr std::uint64_t k_batch_bytes = std::uint64_t{1} << 30;

// The source's own passphrase: never the destination's flags, which may
// well name a different passphrase.
std::string source_passphrase(const CopyOptions& options) {
  return read_passphrase(PassphraseSources{options.from_password_file,
                                           options.from_password_command, "--from-password-file",
                                           "--from-password-command", "OFFSITE_FROM_PASSWORD",
                                           "OFFSITE_FROM_PASSWORD_FILE"},
                         "Passphrase of the source repository: ");
}

// An error opening the source, said to be the source's: the destination's
// flags, which its hint names, are not the ones to change.
[[noreturn]] void rethrow_for_source(const Error& e) {
  if (e.code() == Code::wrong_passphrase)
    throw Error(e.code(), "the passphrase given for the source repository does not open it",
                "check --from-password-file, --from-password-command, OFFSITE_FROM_PASSWORD or "
                "OFFSITE_FROM_PASSWORD_FILE");
  throw Error(e.code(), fmt::format("the source repository: {}", e.what()), e.hint());
}

// The destination's index made to match its packs, as a backup starts
// (index_sync.hpp): a lost pack's blobs must be stored again, and packs an
// interrupted copy uploaded are found instead of uploaded twice.
void heal_destination(core::Repository& repo, CopyProgressReporter& reporter) {
  const core::IndexSync sync =
      core::sync_index_with_packs(repo, true, [](std::uint64_t, std::uint64_t) {
        if (interrupted())
          throw Error(Code::interrupted, "copy interrupted before anything was stored",
                      "run the copy again");
      });
  for (const auto& w : core::index_sync_warnings(sync))
    reporter.warning(w.key, w.message);
}

} // namespace

int run_copy(CopyOptions options, const GlobalOptions& global, Terminal& terminal) {
  terminal.stream_events();
  check_copy_options(options, global);
  GlobalOptions source_global = global;
  source_global.repo = options.from_account ? std::string() : options.from_repo;
  const std::string from_passphrase = source_passphrase(options);
  const std::string to_passphrase = read_passphrase(global, "Passphrase of the destination: ");

  bool source_open = false;
  try {
    return with_repository(
        source_global, terminal, {}, RepoLock::shared,
        [&](RepositoryContext& from) {
          source_open = true;
          const auto source_listing = list_snapshots_checked(from, source_global, terminal).listing;
          const auto chosen =
              chosen_snapshots(from.repo, options.ids, options.filter, source_listing);
          const RepoLock lock = options.dry_run ? RepoLock::none : RepoLock::shared;
          return with_repository(
              global, terminal, {}, lock,
              [&](RepositoryContext& to) {
                if (from.repo.id() == to.repo.id())
                  throw Error(Code::usage, "the source and the destination are one repository",
                              "copy between two different repositories");
                std::vector<core::Snapshot> present =
                    list_snapshots_checked(to, global, terminal).listing.snapshots;
                CopyProgressReporter reporter(terminal);
                if (!options.dry_run) heal_destination(to.repo, reporter);
                core::SnapshotCopier copier(from.repo, to.repo, reporter);
                const core::RepositoryStats before = to.repo.stats();
                nlohmann::json copied = nlohmann::json::array();
                nlohmann::json skipped = nlohmann::json::array();
                // Copied trees wait for one flush per batch, then their
                // snapshots are saved in order: a flush per snapshot wrote a
                // small pack of trees and an index file for each of hundreds
                // of small snapshots.
                struct Pending {
                  core::Snapshot source;
                  core::BlobId tree;
                };
                std::vector<Pending> pending;
                std::uint64_t read_at_flush = 0;
                const auto save_pending = [&] {
                  if (pending.empty()) return;
                  to.repo.flush(); // the snapshots name only what is durable
                  for (const auto& p : pending) {
                    core::Snapshot copy =
                        core::copied_snapshot(p.source, p.tree, source_listing.snapshots, present);
                    // Not remembered for rollback detection: the hosts are
                    // other machines', which this client must not start tracking.
                    copy.id = to.repo.save_snapshot(copy);
                    terminal.clear_progress();
                    terminal.detail(fmt::format("snapshot {} copied as {}",
                                                p.source.id.substr(0, 8), copy.id.substr(0, 8)));
                    copied.push_back({{"source_id", p.source.id}, {"id", copy.id}});
                    present.push_back(std::move(copy));
                  }
                  pending.clear();
                };
                const auto is_pending = [&](const core::Snapshot& s) {
                  return std::any_of(pending.begin(), pending.end(), [&](const Pending& p) {
                    return core::original_of(p.source) == core::original_of(s);
                  });
                };
                std::size_t number = 0;
                for (const auto& source : chosen) {
                  ++number;
                  if (interrupted()) {
                    save_pending(); // what is copied whole is kept
                    throw Error(Code::interrupted,
                                fmt::format("interrupted after {} of {} snapshot(s)",
                                            copied.size() + skipped.size(), chosen.size()),
                                "run the same copy again: snapshots already copied are skipped");
                  }
                  if (core::has_copy_of(source, present) || is_pending(source)) {
                    terminal.detail(fmt::format("snapshot {} is already in {}",
                                                source.id.substr(0, 8), to.location));
                    skipped.push_back(source.id);
                    continue;
                  }
                  if (options.dry_run) {
                    terminal.detail(fmt::format("would copy snapshot {}", source.id.substr(0, 8)));
                    copied.push_back({{"source_id", source.id}});
                    continue;
                  }
                  reporter.start(number, chosen.size());
                  pending.push_back({source, copier.copy_tree(source.tree)});
                  if (pending.size() >= k_batch_snapshots ||
                      copier.progress().bytes_read - read_at_flush >= k_batch_bytes) {
                    save_pending();
                    read_at_flush = copier.progress().bytes_read;
                  }
                }
                save_pending();
                const core::RepositoryStats after = to.repo.stats();
                const std::uint64_t added = after.bytes_new_stored - before.bytes_new_stored;
                if (terminal.json()) {
                  terminal.emit({{"type", "summary"},
                                 {"command", "copy"},
                                 {"dry_run", options.dry_run},
                                 {"copied", copied},
                                 {"skipped", skipped},
                                 {"files_read", copier.progress().files},
                                 {"bytes_read", copier.progress().bytes_read},
                                 {"data_blobs_new", after.data_blobs_new - before.data_blobs_new},
                                 {"tree_blobs_new", after.tree_blobs_new - before.tree_blobs_new},
                                 {"bytes_added", added}});
                } else {
                  terminal.info(
                      fmt::format("{} {} snapshot{} to {} ({} already there); {} read, {} added",
                                  options.dry_run ? "would copy" : "copied", copied.size(),
                                  copied.size() == 1 ? "" : "s", to.location, skipped.size(),
                                  format_bytes(copier.progress().bytes_read), format_bytes(added)));
                }
                return 0;
              },
              &to_passphrase);
        },
        &from_passphrase);
  } catch (const Error& e) {
    if (source_open) throw;
    rethrow_for_source(e);
  }
}

void register_copy(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<CopyOptions>();
  auto* sub = app.add_subcommand(
      "copy", "Copy snapshots from a local repository into the account, or back");
  sub->add_option("id", options->ids, "Only these snapshots (ID, unique prefix or \"latest\")")
      ->type_name("ID");
  add_snapshot_filter(*sub, options->filter, " to copy");
  // OFFSITE_FROM_REPOSITORY is read by check_copy_options: as an envname it
  // would count as given and clash with --from-account.
  sub->add_option("--from-repo", options->from_repo,
                  "Copy from this local repository (or OFFSITE_FROM_REPOSITORY)")
      ->type_name("DIR");
  sub->add_flag("--from-account", options->from_account,
                "Copy from the account (into the local repository --repo names)");
  sub->add_option("--from-password-file", options->from_password_file,
                  "Read the source's passphrase from a file")
      ->type_name("FILE");
  sub->add_option("--from-password-command", options->from_password_command,
                  "Run a command that prints the source's passphrase")
      ->type_name("CMD");
  sub->add_flag("-n,--dry-run", options->dry_run, "Only say which snapshots would be copied");
  sub->footer("Examples:\n"
              "  offsite copy --from-repo /mnt/usb/offsite\n"
              "  offsite copy --from-repo /mnt/usb/offsite --host laptop latest\n"
              "  offsite --repo /mnt/usb/offsite copy --from-account");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_copy(*options, global, t); };
  });
}

} // namespace offsite::cli
