#pragma once
// with_repository for the key commands, which need the passphrase itself
// after the repository is open: to find the key file it opens (key passwd
// removes exactly that one; key list marks it).

#include <functional>
#include <string>

#include "cli/access/repository_access.hpp"

namespace offsite::cli {

// Runs with_repository(options, ..., lock, ...) so that it opens with
// `passphrase` (read by the caller, with read_passphrase) and calls
// fn(context, passphrase).
int with_repository_passphrase(
    const GlobalOptions& options, Terminal& terminal, RepoLock lock, const std::string& passphrase,
    const std::function<int(RepositoryContext&, const std::string&)>& fn);

// The new passphrase for a key file: the first line of `file` when given,
// else asked twice without echo. Error(passphrase_required) at once when
// there is neither a file nor a terminal; Error(usage) when it is empty.
std::string read_new_passphrase(const std::string& file);

} // namespace offsite::cli
