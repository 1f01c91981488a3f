#include "cli/access/key_access.hpp"

#include <fmt/format.h>

#include "cli/config/passphrase.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

int with_repository_passphrase(
    const GlobalOptions& options, Terminal& terminal, RepoLock lock, const std::string& passphrase,
    const std::function<int(RepositoryContext&, const std::string&)>& fn) {
  return with_repository(
      options, terminal, {}, lock,
      [&](RepositoryContext& context) { return fn(context, passphrase); }, &passphrase);
}

std::string read_new_passphrase(const std::string& file) {
  std::string first;
  if (!file.empty()) {
    first = read_secret_file(file, "new password");
  } else {
    try {
      first = prompt_secret("New passphrase: ");
      const std::string again = prompt_secret("Enter the new passphrase again: ");
      if (again != first)
        throw Error(Code::usage, "the two new passphrases differ",
                    "type the same new passphrase twice");
    } catch (const Error& e) {
      if (e.code() != Code::passphrase_required) throw;
      throw Error(Code::passphrase_required,
                  "a new passphrase is needed but there is no terminal to ask on",
                  "give it with --new-password-file FILE");
    }
  }
  if (first.empty())
    throw Error(Code::usage, "the new passphrase is empty", "choose a passphrase of some length");
  return first;
}

} // namespace offsite::cli
