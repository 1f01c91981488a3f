// invite: print a one-time registration code (for registration=invite).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "core/store/local_store.hpp"
#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/state/account_registry.hpp"

namespace offsite::server {

struct InviteOptions {
  std::string data;
};

int run_invite(const InviteOptions& options) {
  const std::filesystem::path data(options.data);
  require_identity(data);
  core::LocalStore store(data / "store");
  std::cout << AccountRegistry(store).create_invite() << std::endl;
  return 0;
}

void register_invite(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<InviteOptions>();
  auto* sub = app.add_subcommand("invite", "print a one-time registration code");
  add_data_option(*sub, options->data);
  sub->callback([options, &run] { run = [options] { return run_invite(*options); }; });
}

} // namespace offsite::server
