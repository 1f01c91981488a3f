#pragma once
// The subcommand table: each cmd_<name>.cpp declares its flags here and runs
// its work in run_<name>.

#include <CLI/CLI.hpp>

#include "cli/global_options.hpp"

namespace offsite::cli {

void register_init(CLI::App& app, GlobalOptions& global);
void register_register(CLI::App& app, GlobalOptions& global);
void register_backup(CLI::App& app, GlobalOptions& global);
void register_restore(CLI::App& app, GlobalOptions& global);
void register_snapshots(CLI::App& app, GlobalOptions& global);
void register_ls(CLI::App& app, GlobalOptions& global);
void register_dump(CLI::App& app, GlobalOptions& global);
void register_mount(CLI::App& app, GlobalOptions& global);
void register_find(CLI::App& app, GlobalOptions& global);
void register_version(CLI::App& app, GlobalOptions& global);
void register_test_connection(CLI::App& app, GlobalOptions& global);
void register_firewall_rules(CLI::App& app, GlobalOptions& global);
void register_config(CLI::App& app, GlobalOptions& global);
void register_unlock(CLI::App& app, GlobalOptions& global);
void register_unregister(CLI::App& app, GlobalOptions& global);
void register_forget(CLI::App& app, GlobalOptions& global);
void register_diff(CLI::App& app, GlobalOptions& global);
void register_check(CLI::App& app, GlobalOptions& global);
void register_prune(CLI::App& app, GlobalOptions& global);
void register_repair(CLI::App& app, GlobalOptions& global);
void register_stats(CLI::App& app, GlobalOptions& global);
void register_tag(CLI::App& app, GlobalOptions& global);
void register_copy(CLI::App& app, GlobalOptions& global);
void register_key(CLI::App& app, GlobalOptions& global);
void register_schedule(CLI::App& app, GlobalOptions& global);

} // namespace offsite::cli
