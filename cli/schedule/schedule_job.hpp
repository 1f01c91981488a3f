#pragma once
// What a scheduled backup runs: this offsite binary (absolute path) with the
// same configuration directory, a passphrase file and the backup's flags and
// paths, all absolute, so that the job does the same as the command typed
// now, from cron's or systemd's bare environment.

#include <filesystem>
#include <string>
#include <vector>

#include "cli/global_options.hpp"

namespace offsite::cli {

class Terminal;

struct ScheduledJob {
  std::string name;                    // "offsite-backup", or with a suffix per config dir
  std::filesystem::path config_dir;    // absolute
  std::filesystem::path password_file; // absolute
  std::vector<std::string> command;    // argv, argv[0] the absolute path of offsite
};

// "offsite-backup" for the default configuration directory and the account,
// else "offsite-backup-<8 hex of the SHA-256 of the config dir and --repo>",
// so two accounts (or a local repository) on one machine get two jobs and
// reinstalling one replaces only it.
std::string job_name(const GlobalOptions& global);

// Checks `backup_args` as `offsite backup` would parse them (flags and
// paths; --stdin and --time make no sense unattended and are refused),
// requires a passphrase file (--password-file or OFFSITE_PASSWORD_FILE) that
// exists, warns when others can read it, and builds the command.
// Error(usage) naming the problem otherwise.
ScheduledJob build_job(const GlobalOptions& global, const std::vector<std::string>& backup_args,
                       Terminal& terminal);

// The absolute path of the running offsite binary.
std::filesystem::path self_executable();

} // namespace offsite::cli
