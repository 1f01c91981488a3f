#pragma once
namespace offsite::cli {
// Parses argv, runs the subcommand, maps errors to exit codes.
int run(int argc, char** argv);
} // namespace offsite::cli
