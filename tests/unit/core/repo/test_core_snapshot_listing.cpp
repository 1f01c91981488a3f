#include <doctest/doctest.h>

#include <memory>

#include "core/backup/backup_parent.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/repo/snapshot_listing.hpp"
#include "core/repo/snapshot_select.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::SnapshotListing");

namespace {

struct Fixture {
  test::TempDir dir;
  LocalStore store{dir / "repo"};
  MasterKey key = MasterKey::generate();
  std::unique_ptr<Repository> repo;

  Fixture() {
    Repository::init(store, key, "pw", crypto::ScryptParams{1 << 10, 8, 1});
    repo = std::make_unique<Repository>(store, key, RepositoryOptions{});
    repo->load_index();
  }
  std::string save(std::int64_t seconds, std::string host = "h1") {
    Snapshot s;
    s.time_ns = seconds * 1'000'000'000;
    s.host = std::move(host);
    s.paths = {"/data"};
    return repo->save_snapshot(s);
  }
  // Flips one bit in the middle of the stored object (create-only store:
  // remove, then put the damaged bytes).
  void flip_bit(const std::string& id) {
    const std::string name = "snapshots/" + id;
    Bytes data = *store.get(name, 0, std::nullopt);
    data[data.size() / 2] ^= 0x01;
    store.remove(name);
    store.put(name, data);
  }
};

} // namespace

TEST_CASE("given one damaged snapshot, when listed, then the others are listed and it is named") {
  Fixture f;
  const std::string old_id = f.save(100);
  const std::string new_id = f.save(200);
  f.flip_bit(new_id);

  const SnapshotListing listing = list_intact_snapshots(*f.repo);
  REQUIRE(listing.snapshots.size() == 1);
  CHECK(listing.snapshots.front().id == old_id);
  REQUIRE(listing.damaged.size() == 1);
  CHECK(listing.damaged.front().id == new_id);
  CHECK(listing.is_damaged(new_id));
  CHECK_FALSE(listing.is_damaged(old_id));
  const auto warnings = listing_warnings(listing);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings.front().find("offsite forget " + new_id) != std::string::npos);
}

TEST_CASE("given a damaged newest snapshot, when latest and the parent are chosen, then the "
          "newest intact one is") {
  Fixture f;
  const std::string old_id = f.save(100);
  const std::string new_id = f.save(200);
  f.flip_bit(new_id);

  CHECK(resolve_snapshot(*f.repo, "latest", {}).id == old_id);
  CHECK(select_parent(*f.repo, "h1", {"/data"}) == old_id);
  CHECK(find_snapshots(*f.repo, {}).size() == 1);
}

TEST_CASE("given a damaged snapshot, when forget resolves its ID or prefix, then it is named as "
          "damaged instead of failing") {
  Fixture f;
  const std::string id = f.save(100);
  f.flip_bit(id);
  const SnapshotListing listing = list_intact_snapshots(*f.repo);

  const auto full = resolve_snapshot_or_damaged(*f.repo, id, {}, listing);
  CHECK_FALSE(full.snapshot);
  REQUIRE(full.damaged);
  CHECK(full.damaged->id == id);
  const auto prefix = resolve_snapshot_or_damaged(*f.repo, id.substr(0, 8), {}, listing);
  REQUIRE(prefix.damaged);
  CHECK(prefix.damaged->id == id);
  // Everything else still sees the damage.
  CHECK_THROWS_AS(resolve_snapshot(*f.repo, id, {}), Error);
}

TEST_CASE("given a stray name under snapshots/, when listed, then it is ignored and named") {
  Fixture f;
  const std::string id = f.save(100);
  f.store.put("snapshots/not-a-hash", as_bytes(std::string_view("junk")));

  const SnapshotListing listing = list_intact_snapshots(*f.repo);
  REQUIRE(listing.snapshots.size() == 1);
  CHECK(listing.damaged.empty());
  REQUIRE(listing.stray_names.size() == 1);
  CHECK(listing.stray_names.front() == "snapshots/not-a-hash");
  CHECK(listing_warnings(listing).front().find("not-a-hash") != std::string::npos);
}

TEST_SUITE_END();
