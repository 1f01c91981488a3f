#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "core/common/error.hpp"
#include "core/maintenance/check.hpp"
#include "core/maintenance/repair.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core::Repair");

namespace {

// Fails every put under index/, as a full disk would.
class NoIndexPuts : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  bool put(std::string_view key, ByteView data) override {
    if (key.starts_with("index/")) throw Error(Code::no_space, "the disk is full");
    return inner().put(key, data);
  }
};

struct Damaged {
  test::BackupFixture f;
  Damaged() {
    for (std::uint64_t n = 1; n <= 6; ++n)
      f.put("file" + std::to_string(n), n);
    f.backup();
    f.put("file7", 7);
    f.backup();
  }
  void drop_index() {
    for (const auto& o : list_all(f.store, "index/"))
      REQUIRE(f.store.remove(o.key));
  }
  bool check_ok() {
    auto repo = f.open();
    CheckReporter reporter;
    return check_repository(*repo, CheckOptions{}, reporter).ok();
  }
};

} // namespace

TEST_CASE("given every index file deleted and a garbage one, when the index is repaired, then "
          "every snapshot restores and check passes") {
  Damaged d;
  d.drop_index();
  REQUIRE(d.f.store.put("index/" + std::string(64, '0'), as_bytes(std::string_view("junk"))));
  REQUIRE_FALSE(d.check_ok());

  auto repo = d.f.open();
  RepairReporter reporter;
  const auto result = repair_index(*repo, false, reporter);
  CHECK(result.changed);
  CHECK(result.recovered_packs.size() == d.f.count("data/"));
  CHECK(result.damaged_index_files.size() == 1);
  CHECK(result.index_files_removed == 1);
  CHECK(d.f.count("index/") == result.index_files_written.size());
  CHECK(d.check_ok());
  d.f.require_restorable();

  // Nothing left to do the second time.
  auto again = d.f.open();
  CHECK_FALSE(repair_index(*again, false, reporter).changed);
}

TEST_CASE("given a dry run, when the index is repaired, then nothing changes") {
  Damaged d;
  d.drop_index();
  auto repo = d.f.open();
  RepairReporter reporter;
  const auto result = repair_index(*repo, true, reporter);
  CHECK(result.changed);
  CHECK(d.f.count("index/") == 0);
}

TEST_CASE("given the new index files cannot be written, when the index is repaired, then the old "
          "ones are all still there") {
  Damaged d;
  const std::size_t before = d.f.count("index/");
  REQUIRE(before > 0);
  REQUIRE(d.f.store.put("index/" + std::string(64, '1'), {})); // something to repair
  NoIndexPuts full(d.f.store);
  auto repo = d.f.open(full);
  RepairReporter reporter;
  CHECK_THROWS_AS(repair_index(*repo, false, reporter), Error);
  CHECK(d.f.count("index/") == before + 1);
}

TEST_CASE("given a missing pack and a pack with a damaged header, when the index is repaired, "
          "then the missing one leaves the index and the damaged one stays in the store") {
  Damaged d;
  auto packs = list_all(d.f.store, "data/");
  REQUIRE(packs.size() >= 3);
  REQUIRE(d.f.store.remove(packs[0].key));
  const fs::path damaged = d.f.root / packs[1].key;
  fs::resize_file(damaged, fs::file_size(damaged) - 2);

  auto repo = d.f.open();
  RepairReporter reporter;
  const auto result = repair_index(*repo, false, reporter);
  CHECK(result.missing_packs.size() == 1);
  REQUIRE(result.damaged_packs.size() == 1);
  CHECK(d.f.root / Repository::pack_key(result.damaged_packs[0]) == damaged);
  CHECK(fs::exists(damaged));
  CHECK(result.packs == packs.size() - 2);
}

TEST_CASE("given a snapshot that fails authentication, when snapshots are repaired, then it is "
          "listed, and removed unless it is a dry run") {
  Damaged d;
  const auto snapshots = list_all(d.f.store, "snapshots/");
  REQUIRE(snapshots.size() == 2);
  const fs::path path = d.f.root / snapshots[0].key;
  test::write_file(path, test::file_content(99, 200));

  auto repo = d.f.open();
  RepairReporter reporter;
  const auto dry = repair_snapshots(*repo, true, reporter);
  REQUIRE(dry.damaged.size() == 1);
  CHECK(dry.damaged[0].id == snapshots[0].key.substr(10));
  CHECK(dry.snapshots == 1);
  CHECK(fs::exists(path));

  const auto result = repair_snapshots(*repo, false, reporter);
  CHECK(result.removed == 1);
  CHECK_FALSE(fs::exists(path));
  CHECK(d.f.count("snapshots/") == 1);
}

TEST_SUITE_END();
