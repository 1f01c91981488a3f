#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/schedule/schedule_text.hpp"
#include "cli/schedule/subprocess.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite::cli;

namespace {

// What /bin/sh makes of a command line: its words, one per line (the
// words hold no newline here).
std::vector<std::string> sh_words(const std::string& line) {
  const auto r =
      run_process({"/bin/sh", "-c", "for w in " + line + "; do printf '%s\\n' \"$w\"; done"});
  REQUIRE(r.exit_status == 0);
  std::vector<std::string> words;
  std::string word;
  for (char c : r.out) {
    if (c == '\n') {
      words.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  return words;
}

const std::vector<std::string> k_hostile = {
    "/usr/bin/offsite", "with space", "it's", "\"double\"", "$HOME", "`id`",   "a;b",  "*.tmp",
    "back\\slash",      "100%",       "",     "=x",         "-e",    "ü-utf8", "a'b'c"};

} // namespace

TEST_SUITE_BEGIN("cli::ScheduleText");

TEST_CASE("given hostile words when quoted for sh then sh gives them back unchanged") {
  CHECK(sh_quote("/home/user/Documents") == "/home/user/Documents");
  CHECK(sh_quote("it's") == "'it'\\''s'");
  CHECK(sh_quote("") == "''");
  CHECK(sh_words(sh_join(k_hostile)) == k_hostile);
}

TEST_CASE("given words when quoted for systemd then quotes, %, $ and backslashes are escaped") {
  CHECK(systemd_quote("/usr/bin/offsite") == "\"/usr/bin/offsite\"");
  CHECK(systemd_quote("a \"b\" 100% $HOME \\") == "\"a \\\"b\\\" 100%% $$HOME \\\\\"");
  CHECK(systemd_join({"a b", "c"}) == "\"a b\" \"c\"");
}

TEST_CASE("given control characters then they are detected") {
  CHECK(has_control_character("a\nb"));
  CHECK(has_control_character("a\tb"));
  CHECK_FALSE(has_control_character("a b ü"));
}

TEST_CASE("given times of day then only valid HH:MM parse") {
  CHECK(parse_daily_time("02:30")->text() == "02:30");
  CHECK(parse_daily_time("2:05")->text() == "02:05");
  CHECK(parse_daily_time("23:59")->text() == "23:59");
  CHECK_FALSE(parse_daily_time("24:00"));
  CHECK_FALSE(parse_daily_time("12:60"));
  CHECK_FALSE(parse_daily_time("1230"));
  CHECK_FALSE(parse_daily_time("12:3"));
  CHECK_FALSE(parse_daily_time("ab:cd"));
  CHECK_FALSE(parse_daily_time(""));
}

TEST_CASE("given a command with % when made a crontab line then % is escaped and read back") {
  const DailyTime t{2, 5};
  const std::string line = cron_job_line(t, "echo '100%' done");
  CHECK(line == "5 2 * * * echo '100\\%' done");
  CHECK(cron_command(line) == "echo '100%' done");
  CHECK(cron_daily_time(line)->text() == "02:05");
  CHECK(cron_daily_time("30 14 * * * x")->text() == "14:30");
  CHECK_FALSE(cron_daily_time("*/5 * * * * x"));
}

TEST_CASE("given a user's crontab when our job is installed then other lines stay as they were") {
  const std::string user = "MAILTO=me@example.org\n# my comment\n0 * * * * /usr/bin/other --x\n";
  const std::string with = cron_install(user, "offsite-backup", "30 2 * * * run 1");
  CHECK(with == user + cron_marker("offsite-backup") + "\n30 2 * * * run 1\n");
  CHECK(cron_find(with, "offsite-backup") == "30 2 * * * run 1");
  CHECK_FALSE(cron_find(with, "offsite-backup-1234abcd"));

  // Installing again replaces, never duplicates.
  const std::string again = cron_install(with, "offsite-backup", "0 3 * * * run 2");
  CHECK(again == user + cron_marker("offsite-backup") + "\n0 3 * * * run 2\n");

  // Another configuration's job is another line, left alone by ours.
  const std::string both = cron_install(again, "offsite-backup-1234abcd", "0 4 * * * run 3");
  bool removed = false;
  const std::string without = cron_remove(both, "offsite-backup", &removed);
  CHECK(removed);
  CHECK(without == user + cron_marker("offsite-backup-1234abcd") + "\n0 4 * * * run 3\n");
  CHECK(cron_remove(cron_remove(both, "offsite-backup-1234abcd"), "offsite-backup") == user);
}

TEST_CASE("given a crontab without our job when removing then it is unchanged") {
  bool removed = true;
  CHECK(cron_remove("0 * * * * a\n", "offsite-backup", &removed) == "0 * * * * a\n");
  CHECK_FALSE(removed);
  CHECK(cron_remove("0 * * * * a", "offsite-backup") == "0 * * * * a");
  CHECK(cron_remove("", "offsite-backup") == "");
  // A last line without a newline gets one before ours (cron would skip it).
  CHECK(cron_install("0 * * * * a", "offsite-backup", "l") ==
        "0 * * * * a\n" + cron_marker("offsite-backup") + "\nl\n");
}

TEST_CASE(
    "given a job when the units are written then the service runs it and the timer is daily") {
  const std::string service = systemd_service_text(
      "offsite backup (/c)", {"/usr/bin/offsite", "--config-dir", "/c d", "backup"});
  CHECK(service.find("[Service]\nType=oneshot\n") != std::string::npos);
  CHECK(unit_value(service, "ExecStart") ==
        "\"/usr/bin/offsite\" \"--config-dir\" \"/c d\" \"backup\"");
  CHECK(unit_value(service, "Description") == "offsite backup (/c)");
  const std::string timer = systemd_timer_text("offsite backup daily", {2, 30});
  CHECK(unit_value(timer, "OnCalendar") == "*-*-* 02:30:00");
  CHECK(unit_value(timer, "Persistent") == "true");
  CHECK(unit_value(timer, "WantedBy") == "timers.target");
  CHECK(timer_daily_time(timer)->text() == "02:30");
}

TEST_CASE("given the cron job's command when cron runs it then the log ends with the exit line "
          "and the job's status is the command's") {
  offsite::test::TempDir dir;
  const std::string log = (dir / "the log's file.log").string();
  for (const int status : {0, 6}) {
    // Through the crontab line as cron reads it: \% back to %, then /bin/sh -c.
    const std::vector<std::string> command = {
        "/bin/sh", "-c", "echo 'backing up 100%'; echo oops >&2; exit " + std::to_string(status)};
    const std::string line =
        cron_job_line({2, 30}, cron_shell_command("offsite-backup", command, log));
    CHECK(line.find('%') != std::string::npos);
    for (std::size_t at = line.find('%'); at != std::string::npos; at = line.find('%', at + 1))
      CHECK(line[at - 1] == '\\'); // a bare % would end cron's command there
    const auto r = run_process({"/bin/sh", "-c", cron_command(line)});
    CHECK(r.exit_status == status);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  const std::string written = text.str();
  const auto run = cron_last_run(written, "offsite-backup");
  REQUIRE(run);
  CHECK(run->exit_status == 6);
  CHECK_FALSE(run->succeeded());
  CHECK(run->started.size() == 20);
  CHECK(run->finished.size() == 20);
  // Two runs, each a start line, its output (stderr too) and an exit line.
  std::vector<std::string> shapes;
  std::istringstream lines(written);
  for (std::string l; std::getline(lines, l);)
    shapes.push_back(l.starts_with("== ") ? "==" + l.substr(23) : l);
  CHECK(shapes == std::vector<std::string>{"== offsite-backup start", "backing up 100%", "oops",
                                           "== exit 0", "== offsite-backup start",
                                           "backing up 100%", "oops", "== exit 6"});
}

TEST_CASE("given cron logs when the last run is read then its start, end and status are found") {
  const std::string ok = "== 2026-12-01T02:30:00Z offsite-backup start\n"
                         "snapshot 1a2b3c4d saved\n"
                         "== 2026-12-01T02:31:10Z exit 0\n";
  auto run = cron_last_run(ok, "offsite-backup");
  REQUIRE(run);
  CHECK(run->started == "2026-12-01T02:30:00Z");
  CHECK(run->finished == "2026-12-01T02:31:10Z");
  CHECK(run->exit_status == 0);
  CHECK(run->succeeded());

  const std::string failed = ok + "== 2026-12-02T02:30:00Z offsite-backup start\n"
                                  "offsite: error: the passphrase does not open\n"
                                  "== 2026-12-02T02:30:01Z exit 6\n";
  run = cron_last_run(failed, "offsite-backup");
  REQUIRE(run);
  CHECK(run->started == "2026-12-02T02:30:00Z");
  CHECK(run->exit_status == 6);
  CHECK_FALSE(run->succeeded());

  // Started, never ended (running, or killed): no status.
  run =
      cron_last_run(ok + "== 2026-12-03T02:30:00Z offsite-backup start\nfile\n", "offsite-backup");
  REQUIRE(run);
  CHECK(run->started == "2026-12-03T02:30:00Z");
  CHECK(run->finished.empty());
  CHECK_FALSE(run->exit_status);
  CHECK_FALSE(run->succeeded());

  // An exit line whose start fell off the read tail; lines that only look
  // like ours (another job, the backup's own output) are not runs.
  run = cron_last_run("== 2026-12-01T02:31:10Z exit 3\n== not a time exit 0\n", "offsite-backup");
  REQUIRE(run);
  CHECK(run->exit_status == 3);
  CHECK(run->started.empty());
  CHECK_FALSE(cron_last_run("", "offsite-backup"));
  CHECK_FALSE(
      cron_last_run("== 2026-12-01T02:30:00Z offsite-backup-1234abcd start\n", "offsite-backup"));
  CHECK_FALSE(cron_last_run("== Tue Dec  1 02:30:00 UTC 2026 offsite-backup\n", "offsite-backup"));
}

TEST_CASE(
    "given systemctl show output when the last run is read then Result and the status count") {
  auto run = systemd_last_run("Result=exit-code\nExecMainStatus=6\n"
                              "ExecMainStartTimestamp=Wed 2026-12-02 02:30:00 UTC\n"
                              "ExecMainExitTimestamp=Wed 2026-12-02 02:30:01 UTC\n");
  REQUIRE(run);
  CHECK(run->result == "exit-code");
  CHECK(run->exit_status == 6);
  CHECK(run->finished == "Wed 2026-12-02 02:30:01 UTC");
  CHECK_FALSE(run->succeeded());
  run = systemd_last_run("Result=success\nExecMainStatus=0\n"
                         "ExecMainStartTimestamp=Wed 2026-12-02 02:30:00 UTC\n"
                         "ExecMainExitTimestamp=Wed 2026-12-02 02:31:00 UTC\n");
  REQUIRE(run);
  CHECK(run->succeeded());
  // Killed by a signal: status 0, but the result says otherwise.
  run = systemd_last_run("Result=signal\nExecMainStatus=0\nExecMainStartTimestamp=x\n"
                         "ExecMainExitTimestamp=y\n");
  REQUIRE(run);
  CHECK_FALSE(run->succeeded());
  CHECK_FALSE(systemd_last_run("Result=success\nExecMainStatus=0\nExecMainStartTimestamp=\n"
                               "ExecMainExitTimestamp=\n"));
}

TEST_SUITE_END();
