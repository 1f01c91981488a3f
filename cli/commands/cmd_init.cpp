#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/commands.hpp"
#include "cli/config/passphrase.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/repo/repository.hpp"

namespace offsite::cli {

int run_init(const GlobalOptions& global, Terminal& terminal) {
  std::string location;
  auto store = open_local_store(global, location);
  if (store->head("config"))
    throw Error(Code::config, fmt::format("{} already holds a repository", location),
                "use it as it is, or choose an empty directory");
  const std::string passphrase = read_passphrase(global, "New passphrase: ", true);
  if (passphrase.empty())
    throw Error(Code::usage, "the passphrase is empty", "choose a passphrase of some length");
  const core::MasterKey key = core::MasterKey::generate();
  core::Repository::init(*store, key, passphrase);
  core::Repository repo(*store, key);
  if (terminal.json()) {
    terminal.emit({{"type", "init"}, {"repository_id", repo.id()}, {"location", location}});
  } else {
    terminal.out(fmt::format("created repository {} at {}", repo.id().substr(0, 8), location));
    terminal.info("Keep the passphrase safe: without it the backups cannot be read.");
  }
  return 0;
}

void register_init(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand("init", "Create a local repository (with --repo DIR)");
  sub->footer("Example:\n  offsite --repo /mnt/usb/offsite init");
  sub->callback([&global] { global.run = [&global](Terminal& t) { return run_init(global, t); }; });
}

} // namespace offsite::cli
