#include <doctest/doctest.h>

#include "core/maintenance/stats.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::Stats");

TEST_CASE("given two snapshots sharing files, when computing stats, then logical size counts "
          "both and unique size counts shared content once") {
  test::BackupFixture f;
  f.put("a", 1);
  f.put("b", 2);
  f.backup();
  f.put("c", 3);
  f.backup();

  auto repo = f.open();
  const auto s = compute_stats(*repo, repo->list_snapshots());
  CHECK(s.snapshots == 2);
  CHECK(s.files == 5);
  CHECK(s.logical_size == 5 * test::k_file_size);
  CHECK(s.unique_size == 3 * test::k_file_size);
  CHECK(s.data_blobs == 3);
  CHECK(s.tree_blobs > 0);
  CHECK(s.packs == f.count("data/"));
  CHECK(s.stored_size == f.stored_bytes());
  CHECK(s.dedup_ratio() == doctest::Approx(5.0 / 3.0));
  CHECK(s.compression_ratio() > 0.5); // random content: sealing adds a little
  CHECK(s.compression_ratio() < 1.0);
}

TEST_CASE("given an empty repository, when computing stats, then everything is zero") {
  test::BackupFixture f;
  auto repo = f.open();
  const auto s = compute_stats(*repo, repo->list_snapshots());
  CHECK(s.snapshots == 0);
  CHECK(s.stored_size == 0);
  CHECK(s.dedup_ratio() == 0);
  CHECK(s.compression_ratio() == 0);
}

TEST_SUITE_END();
