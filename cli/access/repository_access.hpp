#pragma once
// The one place that turns global options into an open repository: store,
// passphrase, key, index, files cache. Every command that reads or writes
// backups goes through with_repository (after borg's decorator).

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "cli/global_options.hpp"
#include "cli/ui/terminal.hpp"
#include "core/repo/lease.hpp"
#include "core/repo/repository.hpp"
#include "core/store/store.hpp"

namespace offsite::cli {

// The lease a command holds on the repository while it runs (PRODUCT.md §2):
// readers that must not lose data under them (backup, restore, check) hold a
// shared one; commands that delete (forget, prune, key passwd, unregister) an
// exclusive one, which the server requires for every delete.
enum class RepoLock {
  none,
  shared,
  exclusive,
  // Exclusive, for a command whose whole point is deleting (forget, prune):
  // on an append-only account it is refused before anything is written,
  // since the data centre would refuse only its first delete, after prune
  // uploaded repacked packs and a new index.
  deleting,
};

struct RepositoryContext {
  core::Repository& repo;
  std::filesystem::path files_cache; // this repository's files cache
  std::string location;              // for messages
};

// The local repository --repo names (never asks for a passphrase).
std::unique_ptr<core::Store> open_local_store(const GlobalOptions& options, std::string& location);

// --repo DIR when given, else the registered account's storage pair
// (connected, so an unreachable data centre is reported first).
std::unique_ptr<core::Store> open_store(const GlobalOptions& options, Terminal& terminal,
                                        std::string& location);

// Error(auth, exit 5, as the data centre's own refusal) when `store` is an
// account the data centre keeps append-only: `command` would delete, and
// every delete would be refused. Nothing for a local repository.
void refuse_if_append_only(core::Store& store, std::string_view command);

// The lease table of a store: the server's for an account, locks/ in a
// local repository.
std::unique_ptr<core::LeaseTable> open_leases(core::Store& store);
// One warning per object under index/ that Repository::load_index skipped.
void warn_damaged_index_files(Terminal& terminal,
                              const std::vector<core::IndexFileProblem>& damaged);

// --retry-lock as a duration (0 when not given).
std::chrono::seconds retry_lock_wait(const GlobalOptions& options);

// Opens the repository, takes `lock` (waiting up to --retry-lock for a
// conflicting lease to go; Error(locked) naming its holder after that), runs
// `fn` and releases the lease; returns what fn returns. `passphrase`, when
// given, is used instead of asking (a command that needs it afterwards read
// it itself).
int with_repository(const GlobalOptions& options, Terminal& terminal,
                    const core::RepositoryOptions& repo_options, RepoLock lock,
                    const std::function<int(RepositoryContext&)>& fn,
                    const std::string* passphrase = nullptr);

} // namespace offsite::cli
