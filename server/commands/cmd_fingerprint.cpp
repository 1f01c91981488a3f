// fingerprint: print the identity's fingerprint again, for clients to pin.
#include <iostream>
#include <memory>
#include <string>

#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"

namespace offsite::server {

struct FingerprintOptions {
  std::string data;
};

int run_fingerprint(const FingerprintOptions& options) {
  std::cout << transport::fingerprint(require_identity(options.data).cert_pem) << std::endl;
  return 0;
}

void register_fingerprint(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<FingerprintOptions>();
  auto* sub = app.add_subcommand("fingerprint", "print the identity's fingerprint");
  add_data_option(*sub, options->data);
  sub->callback([options, &run] { run = [options] { return run_fingerprint(*options); }; });
}

} // namespace offsite::server
