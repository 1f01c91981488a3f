#pragma once
// The offsited subcommand table: each cmd_<name>.cpp declares its flags into
// its options struct in register_<name> and does its work in run_<name>,
// which the parsed subcommand leaves in `run` for server/app.cpp to call.

#include <functional>

#include <CLI/CLI.hpp>

namespace offsite::server {

// The chosen subcommand's work; returns the exit status, throws Error.
using CommandRun = std::function<int()>;

void register_init(CLI::App& app, CommandRun& run);
void register_fingerprint(CLI::App& app, CommandRun& run);
void register_invite(CLI::App& app, CommandRun& run);
void register_accounts(CLI::App& app, CommandRun& run);
void register_account(CLI::App& app, CommandRun& run); // "account set"
void register_serve(CLI::App& app, CommandRun& run);

} // namespace offsite::server
