#pragma once
// Where scheduled jobs live on this machine: the user's crontab (through the
// crontab program) and systemd user units (files under
// $XDG_CONFIG_HOME/systemd/user, driven by `systemctl --user`).
//
// Test seams: OFFSITE_CRONTAB and OFFSITE_SYSTEMCTL name the programs used
// instead of `crontab` and `systemctl`, so that a test can point them at
// scripts that keep a crontab in a file and record calls, and never touches
// the real user's crontab or systemd.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/schedule/schedule_text.hpp"

namespace offsite::cli {

// ---- cron ----
std::string crontab_program();
bool cron_available();
// The user's crontab ("" when there is none). Error(generic) with what
// crontab said when it fails otherwise.
std::string read_crontab();
void write_crontab(const std::string& text);
// $XDG_STATE_HOME/offsite/<name>.log, else ~/.local/state/offsite/<name>.log.
std::filesystem::path cron_log_file(const std::string& name);
// The last run the cron job's log records (read from its last 256 KiB);
// nullopt when there is no log or no run in it.
std::optional<LastRun> cron_log_last_run(const std::string& name);

// ---- systemd ----
std::string systemctl_program();
// `systemctl --user` reaches a user manager (bounded: 10 s).
bool systemd_user_available();
// $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user.
std::filesystem::path systemd_unit_dir();

struct InstalledUnits {
  std::filesystem::path service;
  std::filesystem::path timer;
  std::string exec_start; // as written in the service
  std::optional<DailyTime> daily;
};

// Writes <name>.service and <name>.timer, reloads and enables the timer
// (when `activate`: systemctl is there). Error(generic) with systemctl's
// message when it refuses.
InstalledUnits systemd_install(const std::string& name, const std::string& description,
                               const DailyTime& time, const std::vector<std::string>& command,
                               bool activate);
std::optional<InstalledUnits> systemd_find(const std::string& name);
// Disables the timer (when systemctl is there) and deletes both files.
// Returns false when there was nothing to remove.
bool systemd_remove(const std::string& name);
// "Result=success ExecMainStatus=0 NextElapse..." as systemctl shows them;
// empty when systemctl is not there.
std::string systemd_status(const std::string& name);
// The service's last run as systemctl shows it; nullopt when systemctl is
// not there or the service has not run.
std::optional<LastRun> systemd_service_last_run(const std::string& name);
// Whether the user manager keeps running without a session (loginctl);
// nullopt when unknown.
std::optional<bool> systemd_linger();

} // namespace offsite::cli
