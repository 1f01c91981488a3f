#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "cli/config/rollback_state.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::cli;

TEST_SUITE_BEGIN("cli::RollbackState");

TEST_CASE("given no state file, when loaded, then the memory is empty") {
  test::TempDir dir;
  const auto memory = load_rollback_memory(dir / "state" / "abc.json");
  REQUIRE(memory);
  CHECK(memory->empty());
}

TEST_CASE("given a memory, when saved and loaded, then it is the same, in a 0600 file under "
          "the config directory's state/") {
  test::TempDir dir;
  GlobalOptions options;
  options.config_dir = (dir / "config").string();
  const auto path = rollback_state_path(options, "abc");
  CHECK(path == dir / "config" / "state" / "abc.json");

  core::RollbackMemory memory;
  core::Snapshot s;
  s.id = "b";
  s.time_ns = 200;
  s.host = "h1";
  memory.remember_saved(s);
  save_rollback_memory(path, memory);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto back = load_rollback_memory(path);
  REQUIRE(back);
  CHECK(back->newest_by_host().at("h1").id == "b");
}

TEST_CASE("given a garbled state file, when loaded, then nullopt tells the caller to warn") {
  test::TempDir dir;
  std::ofstream(dir / "bad.json") << "{ garbled";
  CHECK_FALSE(load_rollback_memory(dir / "bad.json"));
}

TEST_SUITE_END();
