// init: create the data-centre identity once (a second run keeps it) and
// print its fingerprint.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/state/identity_store.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

struct InitOptions {
  std::string data;
};

int run_init(const InitOptions& options) {
  const fs::path data(options.data);
  const auto result = init_identity(data);
  fs::create_directories(data / "store");
  if (result.created)
    std::cerr << "offsited: created the data-centre identity in " << (data / "identity").string()
              << "\n";
  std::cout << transport::fingerprint(result.identity.cert_pem) << std::endl;
  return 0;
}

void register_init(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<InitOptions>();
  auto* sub = app.add_subcommand("init", "create the data-centre identity (once)");
  add_data_option(*sub, options->data);
  sub->callback([options, &run] { run = [options] { return run_init(*options); }; });
}

} // namespace offsite::server
