#pragma once
// The one place that turns global options into an open repository: store,
// passphrase, key, index, files cache. Every command that reads or writes
// backups goes through with_repository (after borg's decorator).

#include <filesystem>
#include <functional>
#include <memory>

#include "cli/global_options.hpp"
#include "cli/terminal.hpp"
#include "core/repository.hpp"
#include "core/store.hpp"

namespace offsite::cli {

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

// Opens the repository and runs `fn`; returns what fn returns.
int with_repository(const GlobalOptions& options, Terminal& terminal,
                    const core::RepositoryOptions& repo_options,
                    const std::function<int(RepositoryContext&)>& fn);

} // namespace offsite::cli
