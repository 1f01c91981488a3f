#include "cli/access/repository_access.hpp"

#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "cli/access/account_access.hpp"
#include "cli/config/passphrase.hpp"
#include "cli/config/paths.hpp"
#include "cli/remote/lease_guard_store.hpp"
#include "cli/remote/lease_keeper.hpp"
#include "cli/remote/remote_leases.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/common/error.hpp"
#include "core/crypto/key_files.hpp"
#include "core/store/local_store.hpp"

namespace offsite::cli {

namespace {

Error lost_lock(const std::string& why) {
  return Error(Code::locked, fmt::format("stopped: {}", why),
               "what was stored before stays; run the command again");
}

} // namespace

void warn_damaged_index_files(Terminal& terminal,
                              const std::vector<core::IndexFileProblem>& damaged) {
  for (const auto& d : damaged)
    terminal.warning(fmt::format("{} skipped: {}; run \"offsite repair index\" to rebuild the "
                                 "index from the packs",
                                 printable(d.key), d.reason));
}

std::chrono::seconds retry_lock_wait(const GlobalOptions& options) {
  if (options.retry_lock.empty()) return std::chrono::seconds(0);
  const auto wait = parse_duration(options.retry_lock, "--retry-lock");
  if (wait > std::chrono::hours(24 * 7))
    throw Error(Code::usage,
                fmt::format("--retry-lock {} is longer than a week", options.retry_lock),
                "a lock that stays longer belongs to a stuck command: see \"offsite unlock\"");
  return wait;
}

void refuse_if_append_only(core::Store& store, std::string_view command) {
  const auto* remote = dynamic_cast<RemoteStore*>(&store);
  if (!remote || !remote->append_only()) return;
  throw Error(Code::auth,
              fmt::format("account {} is append-only: the data centre refuses every deletion, "
                          "so \"offsite {}\" cannot run; nothing was changed",
                          remote->account_id(), command),
              fmt::format("ask the data centre's operator to run \"offsited account set {} "
                          "--append-only off\", then run the command again (backups and "
                          "restores work as they are)",
                          remote->account_id()));
}

std::unique_ptr<core::LeaseTable> open_leases(core::Store& store) {
  if (auto* remote = dynamic_cast<RemoteStore*>(&store))
    return std::make_unique<RemoteLeases>(*remote);
  return std::make_unique<core::StoreLeases>(store, "locks/");
}

std::unique_ptr<core::Store> open_local_store(const GlobalOptions& options, std::string& location) {
  if (options.repo.empty())
    throw Error(Code::usage, "no local repository is named",
                "pass --repo DIR (or set OFFSITE_REPOSITORY); to back up to the data centre, run "
                "\"offsite register\" instead");
  const std::filesystem::path root = std::filesystem::absolute(options.repo);
  location = root.string();
  return std::make_unique<core::LocalStore>(root);
}

std::unique_ptr<core::Store> open_store(const GlobalOptions& options, Terminal& terminal,
                                        std::string& location) {
  if (!options.repo.empty()) {
    // Only init creates a repository; opening one must not leave a directory
    // behind at a mistyped --repo.
    const std::filesystem::path root = std::filesystem::absolute(options.repo);
    std::error_code ec;
    if (!std::filesystem::exists(root / "config", ec) && !ec)
      throw Error(Code::config, fmt::format("there is no repository at {}", root.string()),
                  "create one with \"offsite init\", or check --repo");
    return open_local_store(options, location);
  }
  const Account account = load_account(options);
  auto store = open_account_store(account, terminal);
  store->connect();
  location = fmt::format("account {} on {}", *account.config.account_id, store->current_server());
  return store;
}

int with_repository(const GlobalOptions& options, Terminal& terminal,
                    const core::RepositoryOptions& repo_options, RepoLock lock,
                    const std::function<int(RepositoryContext&)>& fn,
                    const std::string* passphrase) {
  std::string location;
  auto store = open_store(options, terminal, location);
  if (lock == RepoLock::deleting) refuse_if_append_only(*store, options.command);
  if (!store->head("config")) {
    if (options.repo.empty())
      throw Error(Code::config, fmt::format("the {} holds no repository yet", location),
                  "finish the set-up with \"offsite register --existing ACCOUNT_ID\"");
    throw Error(Code::config, fmt::format("there is no repository at {}", location),
                "create one with \"offsite init\", or check --repo");
  }
  // A damaged or hostile key file is skipped, and said so every time: it
  // may be the one another machine's passphrase opens.
  const auto opened = core::find_key_file(
      *store, passphrase ? *passphrase : read_passphrase(options, "Passphrase: "));
  for (const auto& skipped : opened.skipped)
    terminal.warning(fmt::format("damaged key file {} was skipped: {}", printable(skipped.name),
                                 skipped.reason));
  const core::MasterKey& key = opened.key;
  // The lease comes before the index: what a prune deletes after we load
  // the index must not be what we then rely on.
  std::unique_ptr<core::LeaseTable> leases;
  std::optional<LeaseKeeper> keeper;
  std::unique_ptr<LeaseGuardStore> guarded;
  if (lock != RepoLock::none) {
    leases = open_leases(*store);
    const auto kind =
        lock == RepoLock::shared ? core::LeaseKind::shared : core::LeaseKind::exclusive;
    keeper.emplace(*leases, kind, this_process(options.command), retry_lock_wait(options),
                   terminal);
    guarded = std::make_unique<LeaseGuardStore>(*store, *keeper);
  }
  core::Repository repo(guarded ? *guarded : *store, key, repo_options);
  terminal.detail(fmt::format("opened repository {} at {}", repo.id().substr(0, 8), location));
  warn_damaged_index_files(terminal, repo.load_index());
  RepositoryContext context{repo, cache_dir(options) / repo.id() / "files", location};
  int status = 0;
  try {
    status = fn(context);
  } catch (const Error& e) {
    if (keeper && keeper->lost() && e.code() == Code::interrupted) throw lost_lock(*keeper->lost());
    throw;
  }
  if (keeper && keeper->lost()) throw lost_lock(*keeper->lost());
  return status;
}

} // namespace offsite::cli
