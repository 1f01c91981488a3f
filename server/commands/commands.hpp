#pragma once
// The offsited command line: init, fingerprint, invite, accounts, serve.

namespace offsite::server {

// Parses argv and runs the subcommand; returns the exit status (0, 1 for
// errors, 2 for usage errors).
int run(int argc, char** argv);

} // namespace offsite::server
