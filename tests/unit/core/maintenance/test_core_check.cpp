#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/common/error.hpp"
#include "core/maintenance/check.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

namespace {

CheckResult run_check(test::BackupFixture& f, bool read_data) {
  auto repo = f.open();
  CheckReporter reporter;
  CheckOptions options;
  options.read_data = read_data;
  return check_repository(*repo, options, reporter);
}

void flip_bit(const fs::path& path, std::uint64_t offset) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  file.get(c);
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(c ^ 0x10));
  REQUIRE(file.good());
}

// Two snapshots that share file "shared"; "only-first" is in the first only.
struct TwoSnapshots {
  test::BackupFixture f;
  std::string first, second;
  TwoSnapshots() {
    f.put("shared", 1);
    f.put("only-first", 2);
    f.put("dir/other", 3);
    first = f.backup();
    f.drop("only-first");
    f.put("new", 4);
    second = f.backup();
  }
  BlobLocation where(std::uint64_t n) {
    auto repo = f.open();
    const auto loc =
        repo->index().find(repo->codec().id_of(test::file_content(n, test::k_file_size)));
    REQUIRE(loc);
    return *loc;
  }
  fs::path pack_path(const std::string& pack) { return f.root / Repository::pack_key(pack); }
};

bool names(const CheckProblem& p, const std::string& snapshot, const std::string& suffix) {
  return std::any_of(p.affected.begin(), p.affected.end(), [&](const BlobUser& u) {
    return u.snapshot_id == snapshot && u.path.size() >= suffix.size() &&
           u.path.compare(u.path.size() - suffix.size(), suffix.size(), suffix) == 0;
  });
}

// The file itself, or (when the lost pack held a tree too) a directory above
// it: what lies below a lost tree is unknown.
bool covers(const CheckProblem& p, const std::string& snapshot, const fs::path& file) {
  const std::string full = file.string();
  return std::any_of(p.affected.begin(), p.affected.end(), [&](const BlobUser& u) {
    return u.snapshot_id == snapshot &&
           (u.path == full || u.path == "/" || full.rfind(u.path + "/", 0) == 0);
  });
}

} // namespace

TEST_SUITE_BEGIN("core::Check");

TEST_CASE("given an intact repository, when checked with and without reading data, then no "
          "problem is found") {
  TwoSnapshots t;
  const auto structure = run_check(t.f, false);
  CHECK(structure.ok());
  CHECK(structure.snapshots == 2);
  CHECK(structure.data_blobs == 4);
  CHECK(structure.trees > 2);
  CHECK(structure.packs == t.f.count("data/"));
  CHECK(structure.packs_read == 0);
  CHECK(structure.unindexed_packs.empty());
  const auto full = run_check(t.f, true);
  CHECK(full.ok());
  CHECK(full.packs_read == full.packs);
  CHECK(full.bytes_read == t.f.stored_bytes());
}

TEST_CASE("given a flipped bit in a pack, when checked, then only --read-data finds it and names "
          "the pack, the snapshots and the file") {
  TwoSnapshots t;
  const auto loc = t.where(1); // "shared": in both snapshots
  flip_bit(t.pack_path(loc.pack), loc.offset + loc.length / 2);

  CHECK(run_check(t.f, false).ok()); // same size, structure intact
  const auto result = run_check(t.f, true);
  REQUIRE(result.problems.size() == 1);
  const auto& p = result.problems[0];
  CHECK(p.kind == "pack_damaged");
  CHECK(p.pack == loc.pack);
  CHECK(p.message.find(loc.pack) != std::string::npos);
  CHECK(p.message.find("1 of its") != std::string::npos);
  CHECK(names(p, t.first, "/src/shared"));
  CHECK(names(p, t.second, "/src/shared"));
  for (const auto& u : p.affected)
    CHECK(u.path.find("/src/shared") != std::string::npos);
}

TEST_CASE("given a missing pack, when checked, then the structure check names it and what it "
          "held") {
  TwoSnapshots t;
  const auto loc = t.where(2); // "only-first"
  REQUIRE(fs::remove(t.pack_path(loc.pack)));
  const auto result = run_check(t.f, false);
  CHECK_FALSE(result.ok());
  const auto it = std::find_if(result.problems.begin(), result.problems.end(),
                               [](const CheckProblem& p) { return p.kind == "pack_missing"; });
  REQUIRE(it != result.problems.end());
  CHECK(it->pack == loc.pack);
  CHECK(covers(*it, t.first, t.f.src / "only-first"));
}

TEST_CASE("given a truncated pack, when checked, then its size is reported") {
  TwoSnapshots t;
  const auto loc = t.where(3);
  const auto path = t.pack_path(loc.pack);
  fs::resize_file(path, fs::file_size(path) - 1);
  const auto result = run_check(t.f, false);
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].kind == "pack_size");
  CHECK(covers(result.problems[0], t.second, t.f.src / "dir/other"));
}

TEST_CASE("given a pack no index names, when checked, then it is a warning, not a problem") {
  TwoSnapshots t;
  for (const auto& o : list_all(t.f.store, "index/"))
    REQUIRE(t.f.store.remove(o.key));
  auto repo = t.f.open();
  CheckReporter reporter;
  const auto result = check_repository(*repo, CheckOptions{}, reporter);
  CHECK(result.unindexed_packs.size() == t.f.count("data/"));
  // Without an index every referenced blob is missing: problems, naming files.
  CHECK_FALSE(result.ok());
  CHECK(std::all_of(result.problems.begin(), result.problems.end(),
                    [](const CheckProblem& p) { return p.kind == "blob_missing"; }));
}

TEST_CASE("given a damaged index file, when checked, then it is a problem naming it, and the "
          "packs it named are unindexed") {
  TwoSnapshots t;
  const auto files = list_all(t.f.store, "index/");
  REQUIRE_FALSE(files.empty());
  test::write_file(t.f.root / files[0].key, {});
  auto repo = t.f.open();
  CheckReporter reporter;
  const auto result = check_repository(*repo, CheckOptions{}, reporter);
  const auto damaged =
      std::find_if(result.problems.begin(), result.problems.end(),
                   [](const CheckProblem& p) { return p.kind == "index_damaged"; });
  REQUIRE(damaged != result.problems.end());
  CHECK(damaged->message.find(files[0].key) != std::string::npos);
  CHECK_FALSE(result.unindexed_packs.empty());
}

TEST_CASE("given a subset, when selecting packs, then a percentage takes about that share and "
          "n/m groups partition the packs") {
  std::vector<std::string> packs;
  for (int i = 0; i < 1000; ++i)
    packs.push_back(to_hex(crypto::sha256(as_bytes(std::to_string(i)))));
  std::sort(packs.begin(), packs.end());

  CHECK(select_packs(packs, parse_read_data_subset("10%")).size() == 100);
  CHECK(select_packs(packs, parse_read_data_subset("2.5%")).size() == 25);
  CHECK(select_packs(packs, parse_read_data_subset("100%")) == packs);
  CHECK(select_packs({packs[0], packs[1]}, parse_read_data_subset("1%")).size() == 1);
  const auto a = select_packs(packs, parse_read_data_subset("50%"));
  const auto b = select_packs(packs, parse_read_data_subset("50%"));
  CHECK(a != b); // random: 1 in C(1000, 500) to fail

  std::set<std::string> seen;
  for (unsigned n = 1; n <= 4; ++n) {
    const auto group = select_packs(packs, parse_read_data_subset(std::to_string(n) + "/4"));
    CHECK(group.size() > 200);
    CHECK(group.size() < 300);
    for (const auto& p : group)
      CHECK(seen.insert(p).second);
  }
  CHECK(seen.size() == packs.size());

  for (const char* bad : {"", "10", "0%", "101%", "x%", "0/3", "4/3", "1/0", "a/b", "1/", "-5%"})
    CHECK_THROWS_AS(parse_read_data_subset(bad), Error);
}

TEST_SUITE_END();
