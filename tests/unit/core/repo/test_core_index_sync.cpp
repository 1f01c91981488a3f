#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "core/common/error.hpp"
#include "core/repo/index_sync.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core::IndexSync");

namespace {

BlobId id_of(test::BackupFixture& f, std::uint64_t n) {
  auto repo = f.open();
  return repo->codec().id_of(test::file_content(n, test::k_file_size));
}

std::string pack_of(test::BackupFixture& f, std::uint64_t n) {
  auto repo = f.open();
  const auto loc = repo->index().find(id_of(f, n));
  REQUIRE(loc);
  return loc->pack;
}

BackupResult back_up(test::BackupFixture& f, bool with_parent) {
  auto repo = f.open();
  BackupOptions options;
  options.paths = {f.src};
  options.threads = 1;
  options.host = "test";
  options.find_parent = with_parent;
  BackupReporter reporter;
  return backup(*repo, nullptr, options, reporter);
}

} // namespace

TEST_CASE("given a pack deleted from the store, when backing up unchanged files, then their "
          "blobs are stored again and the new snapshot restores") {
  test::BackupFixture f;
  f.put("a", 1);
  f.put("b", 2);
  const std::string first = f.backup();
  const std::string lost = pack_of(f, 1);
  REQUIRE(f.store.remove(Repository::pack_key(lost)));
  f.forget(first); // damaged now; the new one must not be

  const auto result = back_up(f, true); // "a" is unchanged against its parent
  CHECK(result.packs_missing == 1);
  CHECK(result.warnings >= 1);
  CHECK(result.snapshot.summary.files_unmodified < 2); // "a" was read again
  // A later reader knows both places (the old index file still names the
  // lost pack) and falls back to the copy; require_restorable reads it.
  auto repo = f.open();
  const auto locations = repo->index().find_all(id_of(f, 1));
  CHECK(std::any_of(locations.begin(), locations.end(),
                    [&](const BlobLocation& l) { return l.pack != lost; }));
  f.expected[result.snapshot_id] = {{"a", test::file_content(1, test::k_file_size)},
                                    {"b", test::file_content(2, test::k_file_size)}};
  f.require_restorable();
}

TEST_CASE("given packs in no index file (an interrupted backup), when backing up again, then "
          "nothing is uploaded again and an index file names them") {
  test::BackupFixture f;
  for (std::uint64_t n = 1; n <= 8; ++n)
    f.put("file" + std::to_string(n), n);
  const std::string first = f.backup();
  const std::size_t packs = f.count("data/");
  REQUIRE(packs > 1);
  for (const auto& o : list_all(f.store, "index/"))
    REQUIRE(f.store.remove(o.key));
  f.forget(first); // as if the run never got to its snapshot

  const auto result = back_up(f, false);
  CHECK(result.packs_recovered == packs);
  CHECK(result.snapshot.summary.data_blobs_new == 0);
  CHECK(f.count("data/") <= packs + 1); // at most the trees above src changed
  CHECK(f.count("index/") >= 1);
  // A later run finds them in the index files, reading no header.
  auto repo = f.open();
  const auto sync = sync_index_with_packs(*repo, true);
  CHECK(sync.recovered_packs.empty());
  CHECK(sync.missing_packs.empty());
}

TEST_CASE("given a pack in no index whose header is damaged, when syncing, then it is reported "
          "and left in the store") {
  test::BackupFixture f;
  f.put("a", 1);
  f.backup();
  const std::string pack = pack_of(f, 1);
  for (const auto& o : list_all(f.store, "index/"))
    REQUIRE(f.store.remove(o.key));
  const fs::path path = f.root / Repository::pack_key(pack);
  fs::resize_file(path, fs::file_size(path) - 3);

  auto repo = f.open();
  const auto sync = sync_index_with_packs(*repo, true);
  CHECK(std::find(sync.damaged_packs.begin(), sync.damaged_packs.end(), pack) !=
        sync.damaged_packs.end());
  CHECK(fs::exists(path));
  CHECK_FALSE(repo->has_blob(id_of(f, 1)));
}

TEST_CASE("given a zero-length and a misnamed object under index/, when the index is loaded, "
          "then both are skipped and named, and the rest loads") {
  test::BackupFixture f;
  f.put("a", 1);
  f.backup();
  const std::string empty_name(64, 'a');
  REQUIRE(f.store.put("index/" + empty_name, {}));
  REQUIRE(f.store.put("index/not-an-index", as_bytes(std::string_view("x"))));

  Repository repo(f.store, f.key);
  const auto damaged = repo.load_index();
  REQUIRE(damaged.size() == 2);
  std::vector<std::string> keys{damaged[0].key, damaged[1].key};
  std::sort(keys.begin(), keys.end());
  CHECK(keys[0] == "index/" + empty_name);
  CHECK(keys[1] == "index/not-an-index");
  CHECK(repo.has_blob(id_of(f, 1)));
  CHECK(repo.load_index().empty()); // named once
  // Without a place to put them (prune), they stop the reader.
  CHECK_THROWS_AS(repo.read_index_files(), Error);
}

TEST_SUITE_END();
