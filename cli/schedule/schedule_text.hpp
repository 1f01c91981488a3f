#pragma once
// The text `offsite schedule` writes: shell and systemd quoting, the
// crontab line and its marker, the systemd unit files. Pure functions, so the
// quoting and the crontab editing are tested without touching a real crontab.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offsite::cli {

struct DailyTime {
  int hour = 0;
  int minute = 0;
  std::string text() const; // "HH:MM"
};

// "HH:MM" (00:00 to 23:59; "2:30" is accepted too), else nullopt.
std::optional<DailyTime> parse_daily_time(std::string_view text);

// One word for /bin/sh: as it is when it holds only safe characters, else
// in single quotes (a ' inside as '\'').
std::string sh_quote(std::string_view word);
std::string sh_join(const std::vector<std::string>& words);

// One word for systemd's ExecStart= (systemd.syntax(7)): in double quotes
// with \" and \\ escaped, % doubled (specifiers) and $ doubled (variables).
std::string systemd_quote(std::string_view word);
std::string systemd_join(const std::vector<std::string>& words);

// True when `word` holds a control character (a newline would end the
// crontab line); such arguments are refused rather than quoted.
bool has_control_character(std::string_view word);

// ---- crontab ----------------------------------------------------------

// The comment line right above our job; `name` tells jobs of different
// configuration directories apart.
std::string cron_marker(std::string_view name);

// "MM HH * * * COMMAND", with % escaped as \% (cron turns a bare % into a
// newline). COMMAND is a /bin/sh command line.
std::string cron_job_line(const DailyTime& time, std::string_view command);

// The time of a line written by cron_job_line ("30 2 * * * ..." is 02:30).
std::optional<DailyTime> cron_daily_time(std::string_view line);

// The /bin/sh command of a crontab line (after the five time fields), with
// cron's \% unescaped: what cron hands to /bin/sh -c.
std::string cron_command(std::string_view line);

// The job line under our marker, if any.
std::optional<std::string> cron_find(std::string_view crontab, std::string_view name);

// The crontab without our marker and job line (every other line kept as it
// was); `removed` tells whether there was one.
std::string cron_remove(std::string_view crontab, std::string_view name, bool* removed = nullptr);

// cron_remove, then our marker and `line` appended.
std::string cron_install(std::string_view crontab, std::string_view name, std::string_view line);

// ---- the record of runs ----------------------------------------------

// The /bin/sh command of the cron job: appends to `log` a start line, the
// output of `command`, then an exit line, and exits with the command's own
// status (cron mails nothing; the log and `schedule show` tell):
//   == 2026-12-02T02:30:00Z offsite-backup start
//   ...
//   == 2026-12-02T02:31:10Z exit 0
// Times are UTC. `date` is called with %, so cron_job_line must escape it.
std::string cron_shell_command(std::string_view name, const std::vector<std::string>& command,
                               std::string_view log);

// What a job's last run left behind.
struct LastRun {
  std::string started;            // "2026-12-02T02:30:00Z"; "" when unknown
  std::string finished;           // "" when no end is recorded (running, or killed)
  std::optional<int> exit_status; // with `finished`
  std::string result;             // systemd's Result= ("success", "exit-code", ...); "" for cron
  bool succeeded() const { return exit_status == 0 && (result.empty() || result == "success"); }
};

// The last run recorded in the end of a cron job's log (the lines
// cron_shell_command writes for job `name`), nullopt when there is none.
std::optional<LastRun> cron_last_run(std::string_view log, std::string_view name);

// The last run from `systemctl --user show UNIT -p Result -p ExecMainStatus
// -p ExecMainStartTimestamp -p ExecMainExitTimestamp` (KEY=VALUE lines),
// nullopt when the service has not run since the user manager started.
std::optional<LastRun> systemd_last_run(std::string_view show_output);

// ---- systemd ----------------------------------------------------------

std::string systemd_service_text(std::string_view description,
                                 const std::vector<std::string>& command);
std::string systemd_timer_text(std::string_view description, const DailyTime& time);

// The value of the first `key=` line of a unit file ("" when absent).
std::string unit_value(std::string_view unit_text, std::string_view key);

// The time of day of a timer written by systemd_timer_text.
std::optional<DailyTime> timer_daily_time(std::string_view timer_text);

} // namespace offsite::cli
