#pragma once
namespace offsite::server {
// offsited's command line: parses argv, runs the subcommand, and maps
// errors to exit statuses (0, 1 for errors, 2 for usage errors; see
// man offsited), printing "offsited: error: MESSAGE" and "offsited: hint:
// HINT" on stderr as the client does.
int run(int argc, char** argv);
} // namespace offsite::server
