#include "cli/commands/key_manage.hpp"

#include <vector>

#include <fmt/format.h>

#include "cli/access/key_access.hpp"
#include "cli/config/passphrase.hpp"
#include "core/common/error.hpp"
#include "core/crypto/key_files.hpp"

namespace offsite::cli {

namespace {

// The key file `wanted` names: its ID or a unique prefix of one.
core::KeyFileInfo resolve_key(const std::vector<core::KeyFileInfo>& keys,
                              const std::string& wanted) {
  if (wanted.empty())
    throw Error(Code::usage, "the key ID is empty", "\"offsite key list\" shows the IDs");
  std::vector<const core::KeyFileInfo*> matches;
  for (const auto& k : keys) {
    if (k.id == wanted) return k;
    if (k.id.starts_with(wanted)) matches.push_back(&k);
  }
  if (matches.empty())
    throw Error(Code::not_found, fmt::format("no key file has the ID {}", printable(wanted)),
                "\"offsite key list\" shows the IDs");
  if (matches.size() > 1)
    throw Error(
        Code::usage,
        fmt::format("{} is the start of {} key file IDs", printable(wanted), matches.size()),
        "give more of the ID (\"offsite key list\" shows them)");
  return *matches.front();
}

} // namespace

int run_key_add(const std::string& new_password_file, const GlobalOptions& global,
                Terminal& terminal) {
  // Both passphrases are read first; adding a key file deletes nothing, so
  // no lease is taken.
  const std::string passphrase = read_passphrase(global, "Current passphrase: ");
  const std::string added_passphrase = read_new_passphrase(new_password_file);
  if (added_passphrase == passphrase)
    throw Error(Code::usage, "the new passphrase is the one that opens the repository already",
                "choose a different passphrase");
  return with_repository_passphrase(
      global, terminal, RepoLock::none, passphrase,
      [&](RepositoryContext& ctx, const std::string&) {
        auto& store = ctx.repo.store();
        const std::string added = core::add_key_file(store, ctx.repo.key(), added_passphrase);
        const std::string id = added.substr(added.find('/') + 1);
        if (terminal.json()) {
          terminal.emit({{"type", "key_add"}, {"repository_id", ctx.repo.id()}, {"added", id}});
          return 0;
        }
        terminal.out(fmt::format("added key {}: the new passphrase opens repository {} too; the "
                                 "others keep working (see \"offsite key list\")",
                                 id, ctx.repo.id().substr(0, 8)));
        return 0;
      });
}

int run_key_remove(const std::string& id, const GlobalOptions& global, Terminal& terminal) {
  return with_repository_passphrase(
      global, terminal, RepoLock::exclusive, read_passphrase(global, "Passphrase: "),
      [&](RepositoryContext& ctx, const std::string& passphrase) {
        auto& store = ctx.repo.store();
        const auto keys = core::list_key_files(store);
        const core::KeyFileInfo doomed = resolve_key(keys, id);
        // The key in use is never removed, so at least one always opens.
        if (doomed.name == core::find_key_file(store, passphrase).name)
          throw Error(Code::usage,
                      fmt::format("key {} is the one your passphrase opens; refusing to remove it",
                                  printable(doomed.id)),
                      "to replace it, use \"offsite key passwd\"; to remove it, run this with "
                      "another key's passphrase");
        if (!store.remove(doomed.name))
          throw Error(Code::not_found, fmt::format("key {} is gone already", printable(doomed.id)));
        if (terminal.json()) {
          terminal.emit(
              {{"type", "key_remove"}, {"repository_id", ctx.repo.id()}, {"removed", doomed.id}});
          return 0;
        }
        terminal.out(fmt::format("removed key {}: its passphrase no longer opens repository {}",
                                 printable(doomed.id), ctx.repo.id().substr(0, 8)));
        return 0;
      });
}

} // namespace offsite::cli
