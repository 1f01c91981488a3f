#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/schedule_text.hpp"
#include "cli/subprocess.hpp"

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

TEST_SUITE_END();
