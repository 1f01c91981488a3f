// fingerprint: print the identity's fingerprint again, for clients to pin,
// once it is known to be the one the store records (a front-end with a
// stray identity must not hand out a pin the data centre does not serve).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store_config.hpp"

namespace offsite::server {

struct FingerprintOptions {
  std::string data;
};

int run_fingerprint(const FingerprintOptions& options) {
  const std::filesystem::path data(options.data);
  const auto identity = require_identity(data);
  const auto location = read_store_config(data);
  std::cout << check_store_identity(data, identity, *open_store(location, data),
                                    describe(location, data), false)
            << std::endl;
  return 0;
}

void register_fingerprint(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<FingerprintOptions>();
  auto* sub = app.add_subcommand("fingerprint", "print the identity's fingerprint");
  add_data_option(*sub, options->data);
  sub->callback([options, &run] { run = [options] { return run_fingerprint(*options); }; });
}

} // namespace offsite::server
