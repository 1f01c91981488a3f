// `offsite schedule install|show|remove`: an unattended daily backup as a
// systemd user timer where a user manager runs, else a crontab line.
//
// The job is the backup command typed now, made absolute (cli/schedule_job),
// with the passphrase from a file: a job that would wait for a prompt is
// never installed. Failure stays visible: the job exits non-zero (systemd
// marks the unit failed; cron's line keeps the status) and its output goes to
// the journal or to a log file, where the cron line closes each run with its
// exit status; `show` reports the last run's result from either. Each
// configuration directory has at most one job: installing again replaces it,
// in either place.
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/config/paths.hpp"
#include "cli/schedule/schedule_job.hpp"
#include "cli/schedule/schedule_system.hpp"
#include "cli/schedule/schedule_text.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/usage_errors.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

struct ScheduleOptions {
  std::string daily;
  std::string method = "auto";
};

std::string description(const ScheduledJob& job) {
  return fmt::format("offsite backup ({})", job.config_dir.string());
}

nlohmann::json cron_json(const std::string& line, const std::filesystem::path& log) {
  nlohmann::json j = {{"method", "cron"}, {"crontab_line", line}, {"log", log.string()}};
  if (const auto t = cron_daily_time(line)) j["daily"] = t->text();
  return j;
}

nlohmann::json last_run_json(const std::optional<LastRun>& run) {
  if (!run) return nullptr;
  auto text = [](const std::string& t) { return t.empty() ? nlohmann::json() : nlohmann::json(t); };
  nlohmann::json j = {
      {"started", text(run->started)},
      {"finished", text(run->finished)},
      {"exit_status", run->exit_status ? nlohmann::json(*run->exit_status) : nlohmann::json()},
      {"succeeded", run->finished.empty() ? nlohmann::json() : nlohmann::json(run->succeeded())}};
  if (!run->result.empty()) j["result"] = run->result;
  return j;
}

// "succeeded (exit 0) at ...", for show's text.
std::string last_run_text(const nlohmann::json& run) {
  if (run.is_null()) return "none recorded yet";
  const auto at = [](const nlohmann::json& t) { return t.is_null() ? "?" : t.get<std::string>(); };
  if (run["finished"].is_null())
    return fmt::format("started {}, no exit recorded (still running, or it was killed)",
                       at(run["started"]));
  const std::string status =
      run["exit_status"].is_null() ? "?" : std::to_string(run["exit_status"].get<int>());
  const std::string result = run.contains("result") ? ", " + run["result"].get<std::string>() : "";
  if (run["succeeded"].get<bool>())
    return fmt::format("succeeded (exit {}) at {}", status, at(run["finished"]));
  return fmt::format("FAILED (exit {}{}) at {}; the log says why", status, result,
                     at(run["finished"]));
}

nlohmann::json systemd_json(const std::string& name, const InstalledUnits& units) {
  nlohmann::json j = {{"method", "systemd"},
                      {"service", units.service.string()},
                      {"timer", units.timer.string()},
                      {"exec_start", units.exec_start},
                      {"log", fmt::format("journalctl --user -u {}.service", name)}};
  if (units.daily) j["daily"] = units.daily->text();
  return j;
}

// Removes this configuration's job from `method` ("cron" or "systemd") when
// the tool for it is there; true when something was removed.
bool remove_from(const std::string& method, const std::string& name) {
  if (method == "systemd") return systemd_remove(name);
  if (!cron_available()) return false;
  const std::string before = read_crontab();
  bool removed = false;
  const std::string after = cron_remove(before, name, &removed);
  if (removed) write_crontab(after);
  return removed;
}

int run_install(const ScheduleOptions& options, const std::vector<std::string>& backup_args,
                const GlobalOptions& global, Terminal& terminal) {
  const auto time = parse_daily_time(options.daily);
  if (!time)
    throw Error(Code::usage,
                fmt::format("--daily: \"{}\" is not a time of day", printable(options.daily)),
                "write it as HH:MM, 00:00 to 23:59 (local time)");
  const ScheduledJob job = build_job(global, backup_args, terminal);

  std::string method = options.method;
  if (method == "auto") {
    if (systemd_user_available())
      method = "systemd";
    else if (cron_available())
      method = "cron";
    else
      throw Error(Code::config, "neither a systemd user manager nor cron is available",
                  "install cron (Debian: apt install cron), or run the backup from another "
                  "scheduler: " +
                      sh_join(job.command));
  }

  nlohmann::json installed;
  if (method == "systemd") {
    const bool active = systemd_user_available();
    if (!active)
      terminal.warning("\"systemctl --user\" does not reach a user manager: the unit files are "
                       "written but not enabled; run \"systemctl --user enable --now " +
                       job.name + ".timer\" in a session");
    const auto units = systemd_install(job.name, description(job), *time, job.command, active);
    installed = systemd_json(job.name, units);
    if (remove_from("cron", job.name))
      terminal.info("removed the crontab line of the earlier schedule");
    if (active && systemd_linger() == false)
      terminal.info("the timer runs while you are logged in; for runs without a session: "
                    "loginctl enable-linger");
  } else {
    if (!cron_available())
      throw Error(Code::config,
                  fmt::format("cannot run \"{}\": is cron installed?", crontab_program()),
                  "install cron (Debian: apt install cron), or use --method systemd");
    const auto log = cron_log_file(job.name);
    std::filesystem::create_directories(log.parent_path());
    const std::string line =
        cron_job_line(*time, cron_shell_command(job.name, job.command, log.string()));
    write_crontab(cron_install(read_crontab(), job.name, line));
    installed = cron_json(line, log);
    if (systemd_remove(job.name))
      terminal.info("removed the systemd units of the earlier schedule");
  }

  installed["name"] = job.name;
  installed["command"] = job.command;
  installed["config_dir"] = job.config_dir.string();
  installed["password_file"] = job.password_file.string();
  if (terminal.json()) {
    installed["type"] = "schedule_install";
    terminal.emit(installed);
    return 0;
  }
  terminal.out(
      fmt::format("installed a daily backup at {} ({}: {})\n  runs: {}\n  log:  {}", time->text(),
                  method, method == "cron" ? "crontab line" : installed["timer"].get<std::string>(),
                  sh_join(job.command), installed["log"].get<std::string>()));
  return 0;
}

int run_show(const GlobalOptions& global, Terminal& terminal) {
  const std::string name = job_name(global);
  nlohmann::json jobs = nlohmann::json::array();
  if (const auto units = systemd_find(name)) {
    auto j = systemd_json(name, *units);
    if (const auto status = systemd_status(name); !status.empty()) j["status"] = status;
    j["last_run"] = last_run_json(systemd_service_last_run(name));
    jobs.push_back(std::move(j));
  }
  if (cron_available())
    if (const auto line = cron_find(read_crontab(), name)) {
      auto j = cron_json(*line, cron_log_file(name));
      j["last_run"] = last_run_json(cron_log_last_run(name));
      jobs.push_back(std::move(j));
    }
  if (terminal.json()) {
    terminal.emit({{"type", "schedule"},
                   {"name", name},
                   {"config_dir", config_dir(global).string()},
                   {"installed", !jobs.empty()},
                   {"jobs", jobs}});
    return 0;
  }
  if (jobs.empty()) {
    terminal.out(fmt::format("no scheduled backup for {}", config_dir(global).string()));
    return 0;
  }
  std::string text;
  for (const auto& j : jobs) {
    text += fmt::format("{} daily at {}\n", j["method"].get<std::string>(), j.value("daily", "?"));
    if (j["method"] == "cron")
      text += fmt::format("  crontab: {}\n", j["crontab_line"].get<std::string>());
    else
      text += fmt::format("  timer:   {}\n  runs:    {}\n", j["timer"].get<std::string>(),
                          j["exec_start"].get<std::string>());
    if (j.contains("status"))
      text += fmt::format("  status:  {}\n", j["status"].get<std::string>());
    text += fmt::format("  log:     {}\n", j["log"].get<std::string>());
    text += fmt::format("  last run: {}\n", last_run_text(j["last_run"]));
  }
  terminal.out(text);
  return 0;
}

int run_remove(const GlobalOptions& global, Terminal& terminal) {
  const std::string name = job_name(global);
  nlohmann::json removed = nlohmann::json::array();
  for (const char* method : {"systemd", "cron"})
    if (remove_from(method, name)) removed.push_back(method);
  if (terminal.json()) {
    terminal.emit({{"type", "schedule_remove"}, {"name", name}, {"removed", removed}});
    return 0;
  }
  if (removed.empty())
    terminal.out(
        fmt::format("no scheduled backup for {}; nothing removed", config_dir(global).string()));
  else
    terminal.out(
        fmt::format("removed the scheduled backup ({})",
                    removed.size() == 2 ? "systemd and cron" : removed[0].get<std::string>()));
  return 0;
}

// Global flags people type after the subcommand; install does not pass
// them on to its parent (its other arguments are the backup's).
void add_output_flags(CLI::App* sub, GlobalOptions& global) {
  sub->add_flag("--json", global.json, "Print JSON on stdout");
  sub->add_flag("-q,--quiet", global.quiet, "Print only errors");
  sub->add_flag("-v,--verbose", global.verbose, "Print more detail");
}

} // namespace

void register_schedule(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand("schedule", "Install, show or remove a daily unattended backup");
  sub->require_subcommand(1);
  auto options = std::make_shared<ScheduleOptions>();

  auto* install = sub->add_subcommand(
      "install", "Back up PATH... daily (systemd user timer, else crontab); replaces an earlier "
                 "schedule");
  install->add_option("--daily", options->daily, "Time of day to run, local time")
      ->type_name("HH:MM")
      ->required();
  install->add_option("--method", options->method, "Where to install it (default: auto)")
      ->type_name("auto|systemd|cron")
      ->check(one_of({"auto", "systemd", "cron"}));
  install
      ->add_option("--password-file", global.password_file,
                   "The passphrase file the job reads (or OFFSITE_PASSWORD_FILE)")
      ->type_name("FILE");
  add_output_flags(install, global);
  // Everything else is the backup's flags and paths, checked by
  // cli/schedule_job against the backup command's own declarations.
  install->fallthrough(false);
  install->allow_extras();
  install->footer(
      "Flags of \"offsite backup\" and the paths follow; global options go before "
      "\"schedule\".\n\nExamples:\n"
      "  offsite schedule install --daily 02:30 --password-file ~/.offsite-pass ~/Documents\n"
      "  offsite --config-dir /etc/offsite schedule install --daily 23:00 --method cron \\\n"
      "      --password-file /root/pass --exclude '*.tmp' /srv");
  install->callback([install, options, &global] {
    global.run = [install, options, &global](Terminal& t) {
      return run_install(*options, install->remaining(), global, t);
    };
  });

  auto* show = sub->add_subcommand("show", "Show this configuration's scheduled backup");
  show->callback(
      [&global] { global.run = [&global](Terminal& t) { return run_show(global, t); }; });
  auto* remove = sub->add_subcommand("remove", "Remove this configuration's scheduled backup");
  remove->callback(
      [&global] { global.run = [&global](Terminal& t) { return run_remove(global, t); }; });
  sub->footer("Examples:\n  offsite schedule install --daily 02:30 --password-file ~/.offsite-pass "
              "~/Documents\n  offsite schedule show\n  offsite schedule remove");
}

} // namespace offsite::cli
