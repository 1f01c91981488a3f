#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/schedule/schedule_job.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "tests/unit/scoped_env.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::cli;
using offsite::test::ScopedEnv;
using offsite::test::TempDir;

namespace {

struct Fixture {
  TempDir dir;
  ScopedEnv config_home{"XDG_CONFIG_HOME", (dir / "config").string()};
  ScopedEnv cache_home{"XDG_CACHE_HOME", (dir / "cache").string()};
  ScopedEnv password_env{"OFFSITE_PASSWORD_FILE", std::nullopt};
  GlobalOptions global;
  Fixture() {
    std::ofstream(dir / "pass") << "secret\n";
    chmod((dir / "pass").c_str(), 0600);
    global.password_file = (dir / "pass").string();
    global.quiet = true;
  }
  ScheduledJob build(const std::vector<std::string>& args) {
    Terminal terminal(global);
    return build_job(global, args, terminal);
  }
  Code code_of(const std::vector<std::string>& args) {
    try {
      build(args);
    } catch (const Error& e) {
      return e.code();
    }
    return Code::generic;
  }
};

bool has_pair(const std::vector<std::string>& v, const std::string& a, const std::string& b) {
  for (std::size_t i = 0; i + 1 < v.size(); ++i)
    if (v[i] == a && v[i + 1] == b) return true;
  return false;
}

} // namespace

TEST_SUITE_BEGIN("cli::ScheduleJob");

TEST_CASE("given backup flags and relative paths then the job command is all absolute") {
  Fixture f;
  const auto cwd = std::filesystem::current_path();
  f.global.config_dir = "relative-config";
  // Relative to the working directory, and readable: backup's own check.
  const std::string exclude_file = "exclude-of-schedule-job-test.txt";
  std::ofstream(exclude_file) << "*.bak\n";
  const auto job = f.build({"--exclude", "*.tmp", "-x", "docs", "--exclude-file", exclude_file,
                            "--tag", "nightly", (f.dir / "data").string()});
  std::filesystem::remove(exclude_file);
  const auto& c = job.command;
  REQUIRE(c.size() > 4);
  CHECK(std::filesystem::path(c[0]).is_absolute());
  CHECK(has_pair(c, "--config-dir", (cwd / "relative-config").string()));
  CHECK(has_pair(c, "--cache-dir", (f.dir / "cache" / "offsite").string()));
  CHECK(has_pair(c, "--password-file", (f.dir / "pass").string()));
  CHECK(has_pair(c, "--exclude", "*.tmp"));
  CHECK(has_pair(c, "--exclude-file", (cwd / exclude_file).string()));
  CHECK(has_pair(c, "--tag", "nightly"));
  CHECK(std::find(c.begin(), c.end(), "--one-file-system") != c.end());
  CHECK(std::find(c.begin(), c.end(), "--verbose") != c.end());
  const auto backup = std::find(c.begin(), c.end(), "backup");
  REQUIRE(backup != c.end());
  // Paths right after "backup": a repeatable option would take them otherwise.
  REQUIRE(c.end() - backup > 2);
  CHECK(backup[1] == (cwd / "docs").string());
  CHECK(backup[2] == (f.dir / "data").string());
  CHECK(std::count(c.begin(), c.end(), "--one-file-system") == 1);
  CHECK(std::find(c.begin(), c.end(), "true") == c.end());
  CHECK(job.name.rfind("offsite-backup-", 0) == 0);
}

TEST_CASE("given the default configuration directory then the job is offsite-backup") {
  Fixture f;
  CHECK(job_name(f.global) == "offsite-backup");
  f.global.repo = (f.dir / "repo").string();
  const std::string local = job_name(f.global);
  CHECK(local.rfind("offsite-backup-", 0) == 0);
  f.global.repo.clear();
  f.global.config_dir = (f.dir / "other").string();
  CHECK(job_name(f.global).rfind("offsite-backup-", 0) == 0);
  CHECK(job_name(f.global) != local);
}

TEST_CASE("given no passphrase file then the job is refused, and OFFSITE_PASSWORD_FILE counts") {
  Fixture f;
  f.global.password_file.clear();
  CHECK(f.code_of({"/tmp"}) == Code::usage);
  {
    ScopedEnv env("OFFSITE_PASSWORD_FILE", (f.dir / "pass").string());
    CHECK(has_pair(f.build({"/tmp"}).command, "--password-file", (f.dir / "pass").string()));
  }
  f.global.password_file = (f.dir / "missing").string();
  CHECK(f.code_of({"/tmp"}) == Code::usage);
  f.global.password_file = (f.dir / "pass").string();
  f.global.password_command = "echo x";
  CHECK(f.code_of({"/tmp"}) == Code::usage);
}

TEST_CASE("given flags a scheduled backup cannot use then the job is refused") {
  Fixture f;
  CHECK(f.code_of({}) == Code::usage);          // no paths
  CHECK(f.code_of({"--stdin"}) == Code::usage); // nobody feeds stdin
  CHECK(f.code_of({"--time", "2020-01-01 00:00:00", "/tmp"}) == Code::usage);
  CHECK(f.code_of({"--no-such-flag", "/tmp"}) == Code::usage);
  CHECK(f.code_of({"/tmp/a\nb"}) == Code::usage); // would break the crontab line
}

TEST_SUITE_END();
