#include <doctest/doctest.h>

#include <fstream>

#include "core/backup/exclude.hpp"
#include "core/common/error.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::Exclude");

namespace {
PathMatcher matcher(std::initializer_list<const char*> patterns) {
  PathMatcher m;
  for (const char* p : patterns)
    m.add_pattern(p);
  return m;
}
void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}
} // namespace

TEST_CASE("given a pattern without slash when matching then any component may match") {
  auto m = matcher({"*.tmp"});
  CHECK(m.matches("/home/a/x.tmp"));
  CHECK(m.matches("/x.tmp"));
  CHECK(m.matches("/home/a.tmp/inner/file")); // a matched dir excludes what is below
  CHECK_FALSE(m.matches("/home/a/x.tmpl"));
  CHECK_FALSE(m.matches("/home/a/tmp"));
  auto nm = matcher({"node_modules"});
  CHECK(nm.matches("/src/app/node_modules"));
  CHECK(nm.matches("/src/app/node_modules/lodash/index.js"));
  CHECK_FALSE(nm.matches("/src/app/node_modules2"));
}

TEST_CASE("given a pattern added ignoring case when matching then letters of either case match, "
          "and the other patterns still respect case") {
  PathMatcher m;
  m.add_pattern("*.tmp", true);
  m.add_pattern("/Data/Keep");
  CHECK(m.matches("/home/a/X.TMP"));
  CHECK(m.matches("/home/a/x.Tmp"));
  CHECK(m.matches("/home/CACHE.tmp/inner"));
  CHECK_FALSE(m.matches("/home/a/x.tmpx"));
  CHECK(m.matches("/Data/Keep"));
  CHECK_FALSE(m.matches("/data/keep"));
}

TEST_CASE("given an absolute pattern when matching then it is anchored at the root") {
  auto m = matcher({"/home/a/cache"});
  CHECK(m.matches("/home/a/cache"));
  CHECK(m.matches("/home/a/cache/x/y"));
  CHECK_FALSE(m.matches("/other/home/a/cache"));
  CHECK_FALSE(m.matches("/home/a/cache2"));
  CHECK_FALSE(m.matches("/home/a"));
}

TEST_CASE(
    "given a relative pattern with slash when matching then any run of components may match") {
  auto m = matcher({"cache/*.bin"});
  CHECK(m.matches("/x/y/cache/a.bin"));
  CHECK(m.matches("/cache/a.bin"));
  CHECK_FALSE(m.matches("/x/cache/sub/a.bin")); // '*' stays within one component
  CHECK_FALSE(m.matches("/x/mycache/a.bin"));
}

TEST_CASE("given wildcards when matching then * ? and [...] stay in one component") {
  auto m = matcher({"/data/*/log?.[0-9]"});
  CHECK(m.matches("/data/app/log1.5"));
  CHECK_FALSE(m.matches("/data/a/b/log1.5"));
  CHECK_FALSE(m.matches("/data/app/log12.5"));
  CHECK_FALSE(m.matches("/data/app/log1.x"));
}

TEST_CASE("given ** when matching then it spans zero or more components") {
  auto m = matcher({"/home/**/secret"});
  CHECK(m.matches("/home/secret"));
  CHECK(m.matches("/home/a/secret"));
  CHECK(m.matches("/home/a/b/c/secret/file"));
  CHECK_FALSE(m.matches("/home/a/b/c/notsecret"));
  CHECK_FALSE(m.matches("/var/secret"));
  auto many = matcher({"/**/a/**/b/**/c/**/d"});
  CHECK(many.matches("/x/a/y/b/z/c/w/d"));
  CHECK_FALSE(many.matches("/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/b/c")); // no blow-up
}

TEST_CASE("given hostile names when matching then they are compared as bytes") {
  auto m = matcher({"*\xff*"});
  CHECK(m.matches("/a/x\xffy"));
  CHECK(matcher({"with space"}).matches("/a/with space/b"));
  CHECK(matcher({"-rf"}).matches("/a/-rf"));
}

TEST_CASE("given empty or root patterns when added then they match nothing") {
  auto m = matcher({"", "/", "//"});
  CHECK(m.empty());
  CHECK_FALSE(m.matches("/home/a"));
}

TEST_CASE("given patterns when added then patterns() lists them as given") {
  auto m = matcher({"*.tmp", "/abs"});
  REQUIRE(m.patterns().size() == 2);
  CHECK(m.patterns()[0] == "*.tmp");
  CHECK(m.patterns()[1] == "/abs");
  CHECK_FALSE(m.empty());
}

TEST_CASE("given an include pattern when asking for a directory then may_match_below says whether "
          "to descend") {
  auto m = matcher({"/home/a/docs/*.txt"});
  CHECK(m.may_match_below("/"));
  CHECK(m.may_match_below("/home"));
  CHECK(m.may_match_below("/home/a"));
  CHECK(m.may_match_below("/home/a/docs"));
  CHECK(m.may_match_below("/home/a/docs/x.txt/sub")); // already matched
  CHECK_FALSE(m.may_match_below("/home/b"));
  CHECK_FALSE(m.may_match_below("/var"));
  CHECK(matcher({"*.txt"}).may_match_below("/anything/at/all"));
  CHECK_FALSE(PathMatcher{}.may_match_below("/home"));
}

TEST_CASE("given a pattern file when added then comments and blank lines are skipped") {
  test::TempDir dir;
  write_file(dir / "ex", "# comment\n\n  *.tmp  \r\n/abs/path\n   \n#*.keep\n");
  PathMatcher m;
  m.add_file(dir / "ex");
  REQUIRE(m.patterns().size() == 2);
  CHECK(m.patterns()[0] == "*.tmp");
  CHECK(m.matches("/x/y.tmp"));
  CHECK(m.matches("/abs/path/z"));
  CHECK_FALSE(m.matches("/x/y.keep"));
}

TEST_CASE("given a missing pattern file when added then Error(usage) names it") {
  test::TempDir dir;
  PathMatcher m;
  try {
    m.add_file(dir / "nope");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Code::usage);
    CHECK(std::string(e.what()).find("nope") != std::string::npos);
  }
}

TEST_CASE("given CACHEDIR.TAG files when checked then only the real signature counts") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "good");
  std::filesystem::create_directories(dir / "bad");
  std::filesystem::create_directories(dir / "short");
  std::filesystem::create_directories(dir / "none");
  std::filesystem::create_directories(dir / "link");
  std::filesystem::create_directories(dir / "dirtag/CACHEDIR.TAG");
  write_file(
      dir / "good/CACHEDIR.TAG",
      "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag.\n");
  write_file(dir / "bad/CACHEDIR.TAG", "Signature: 0000000000000000000000000000000\n");
  write_file(dir / "short/CACHEDIR.TAG", "Signature: 8a477f");
  std::filesystem::create_symlink(dir / "good/CACHEDIR.TAG", dir / "link/CACHEDIR.TAG");
  CHECK(is_cachedir_tag(dir / "good"));
  CHECK_FALSE(is_cachedir_tag(dir / "bad"));
  CHECK_FALSE(is_cachedir_tag(dir / "short"));
  CHECK_FALSE(is_cachedir_tag(dir / "none"));
  CHECK_FALSE(is_cachedir_tag(dir / "link"));
  CHECK_FALSE(is_cachedir_tag(dir / "dirtag"));
  CHECK_FALSE(is_cachedir_tag(dir / "missing"));
}

TEST_SUITE_END();
