#include <fmt/format.h>
#include <openssl/crypto.h>
#include <zstd.h>

#include "cli/commands.hpp"
#include "cli/ui/terminal.hpp"

namespace offsite::cli {

int run_version(Terminal& terminal) {
  if (terminal.json()) {
    terminal.emit({{"type", "version"},
                   {"version", OFFSITE_VERSION},
                   {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)},
                   {"zstd", ZSTD_versionString()}});
  } else {
    terminal.out(fmt::format("offsite {} (OpenSSL {}, zstd {})", OFFSITE_VERSION,
                             OpenSSL_version(OPENSSL_VERSION_STRING), ZSTD_versionString()));
  }
  return 0;
}

void register_version(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand("version", "Print the version");
  sub->footer("Examples:\n  offsite version\n  offsite --json version");
  sub->callback([&global] { global.run = [](Terminal& t) { return run_version(t); }; });
}

} // namespace offsite::cli
