#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "core/common/error.hpp"
#include "core/maintenance/find.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::Finder");

namespace {

std::vector<std::string> tails(const std::vector<FindMatch>& matches, const std::string& src) {
  std::vector<std::string> out;
  for (const auto& m : matches) {
    REQUIRE(m.path.rfind(src, 0) == 0);
    out.push_back(m.path.substr(src.size()));
  }
  return out;
}

} // namespace

TEST_CASE("given a name in 3 of 5 snapshots, when finding it, then exactly those snapshots "
          "report it with its size") {
  test::BackupFixture f;
  f.put("keep/a.txt", 1);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    if (i == 1 || i == 2 || i == 4)
      f.put("docs/report.pdf", 10);
    else
      f.drop("docs/report.pdf");
    ids.push_back(f.backup());
  }
  auto repo = f.open();
  Finder finder(*repo, {{"*.pdf"}, {}, {}});
  std::vector<bool> found;
  for (const auto& id : ids) {
    const auto matches = finder.find(repo->load_snapshot(id));
    found.push_back(!matches.empty());
    if (!matches.empty()) {
      CHECK(tails(matches, f.src.string()) == std::vector<std::string>{"/docs/report.pdf"});
      CHECK(matches[0].size == test::k_file_size);
      CHECK(matches[0].type == NodeType::file);
    }
  }
  CHECK(found == std::vector<bool>{false, true, true, false, true});
}

TEST_CASE("given snapshots sharing trees, when finding in all, then no tree is loaded twice") {
  test::BackupFixture f;
  for (int d = 0; d < 4; ++d)
    f.put("shared/d" + std::to_string(d) + "/x.bin", static_cast<std::uint64_t>(d));
  f.backup(); // reads the files: their atimes change once (relatime), and so their trees
  const auto first = f.backup();
  f.put("new.bin", 99);
  const auto second = f.backup();

  auto repo = f.open();
  const auto s1 = repo->load_snapshot(first);
  const auto s2 = repo->load_snapshot(second);
  Finder alone(*repo, {{"*.bin"}, {}, {}});
  CHECK(alone.find(s2).size() == 5);
  const auto loads_of_second = alone.trees_loaded();

  Finder both(*repo, {{"*.bin"}, {}, {}});
  CHECK(both.find(s1).size() == 4);
  const auto loads_of_first = both.trees_loaded();
  CHECK(both.find(s2).size() == 5);
  // shared/ and its four subdirectories are the same trees in both.
  CHECK(both.trees_loaded() == loads_of_first + loads_of_second - 5);
  CHECK(both.find(s1).size() == 4);
  CHECK(both.find(s2).size() == 5);
  CHECK(both.trees_loaded() == loads_of_first + loads_of_second - 5);
}

TEST_CASE("given path and name patterns, when finding, then each matches the entry itself") {
  test::BackupFixture f;
  f.put("docs/a.pdf", 1);
  f.put("other/b.pdf", 2);
  f.put("docs/sub/c.txt", 3);
  const auto id = f.backup();
  auto repo = f.open();
  const auto s = repo->load_snapshot(id);
  const std::string src = f.src.string();

  Finder relative(*repo, {{"docs/*.pdf"}, {}, {}});
  CHECK(tails(relative.find(s), src) == std::vector<std::string>{"/docs/a.pdf"});

  Finder absolute(*repo, {{src + "/other/*"}, {}, {}});
  CHECK(tails(absolute.find(s), src) == std::vector<std::string>{"/other/b.pdf"});

  // A matching directory is reported, not everything below it.
  Finder dir(*repo, {{"sub"}, {}, {}});
  const auto dirs = dir.find(s);
  CHECK(tails(dirs, src) == std::vector<std::string>{"/docs/sub"});
  CHECK(dirs[0].type == NodeType::dir);

  Finder several(*repo, {{"c.txt", "/nowhere/*"}, {}, {}});
  CHECK(tails(several.find(s), src) == std::vector<std::string>{"/docs/sub/c.txt"});
}

TEST_CASE("given --newest and --oldest, when finding, then only entries modified in the range "
          "match") {
  test::BackupFixture f;
  f.put("old.log", 1);
  f.put("new.log", 2);
  using namespace std::chrono;
  const auto set_mtime = [&](const char* name, std::int64_t seconds) {
    std::filesystem::last_write_time(f.src / name,
                                     std::filesystem::file_time_type::clock::from_sys(
                                         system_clock::time_point(std::chrono::seconds(seconds))));
  };
  set_mtime("old.log", 1'000'000'000);
  set_mtime("new.log", 1'700'000'000);
  const auto id = f.backup();
  auto repo = f.open();
  const auto s = repo->load_snapshot(id);
  const std::string src = f.src.string();
  const std::int64_t middle = 1'500'000'000 * k_ns_per_second;

  Finder newest(*repo, {{"*.log"}, middle, {}});
  CHECK(tails(newest.find(s), src) == std::vector<std::string>{"/old.log"});
  Finder oldest(*repo, {{"*.log"}, {}, middle});
  CHECK(tails(oldest.find(s), src) == std::vector<std::string>{"/new.log"});
}

TEST_CASE("given no pattern or an empty one, when building a finder, then it is a usage error") {
  test::BackupFixture f;
  auto repo = f.open();
  CHECK_THROWS_AS(Finder(*repo, {{}, {}, {}}), Error);
  CHECK_THROWS_AS(Finder(*repo, {{""}, {}, {}}), Error);
}
