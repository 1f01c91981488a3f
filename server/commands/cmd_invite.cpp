// invite: print a one-time registration code (for registration=invite).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/state/account_registry.hpp"
#include "server/store/open_store.hpp"

namespace offsite::server {

struct InviteOptions {
  std::string data;
};

int run_invite(const InviteOptions& options) {
  const std::filesystem::path data(options.data);
  require_identity(data);
  const auto store = open_data_store(data);
  std::cout << AccountRegistry(*store).create_invite() << std::endl;
  return 0;
}

void register_invite(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<InviteOptions>();
  auto* sub = app.add_subcommand("invite", "print a one-time registration code");
  add_data_option(*sub, options->data);
  sub->callback([options, &run] { run = [options] { return run_invite(*options); }; });
}

} // namespace offsite::server
