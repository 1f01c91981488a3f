#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/backup/files_from.hpp"
#include "core/common/error.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::read_path_list");

namespace {

std::string write_list(const test::TempDir& dir, const std::string& text) {
  const auto path = (dir / "list").string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

} // namespace

TEST_CASE("given a --files-from list, when read, then comments and blank lines are skipped, "
          "blanks and CRs trimmed, and globs expanded in sorted order") {
  test::TempDir dir;
  for (const char* name : {"b.log", "a.log", "c.txt"})
    std::ofstream(dir / name) << "x";
  const std::string base = dir.path().string();
  const auto list = write_list(dir, "# comment\n\n  " + base + "/c.txt \r\n" + base + "/*.log\n");
  const std::vector<std::string> expected = {base + "/c.txt", base + "/a.log", base + "/b.log"};
  CHECK(read_path_list(list, ListStyle::patterns, "--files-from") == expected);
}

TEST_CASE("given a pattern that matches nothing, when read, then it stays as written, so the "
          "backup reports the path missing") {
  test::TempDir dir;
  const std::string missing = dir.path().string() + "/nothing-*.bin";
  CHECK(read_path_list(write_list(dir, missing + "\n"), ListStyle::patterns, "--files-from") ==
        std::vector<std::string>{missing});
}

TEST_CASE("given a verbatim list, when read, then every non-empty line is a path byte for byte") {
  test::TempDir dir;
  const auto list = write_list(dir, " lead\n#hash\n\n*star\n");
  CHECK(read_path_list(list, ListStyle::verbatim, "--files-from-verbatim") ==
        std::vector<std::string>{" lead", "#hash", "*star"});
}

TEST_CASE("given a list file that does not exist, when read, then it is a usage error naming "
          "the flag") {
  test::TempDir dir;
  try {
    (void)read_path_list((dir / "nope").string(), ListStyle::patterns, "--files-from");
    FAIL("a missing list was read");
  } catch (const Error& e) {
    CHECK(e.code() == Code::usage);
    CHECK(e.hint().find("--files-from") != std::string::npos);
  }
}

TEST_SUITE_END();
