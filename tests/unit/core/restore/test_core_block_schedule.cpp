#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/repo/repository.hpp"
#include "core/restore/block_schedule.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;
using offsite::core::restore_detail::BlockSchedule;

TEST_SUITE_BEGIN("core::BlockSchedule");

TEST_CASE("given the blobs a restore takes, when asked for a block, then the next place that "
          "needs it counts from the walk's place") {
  test::TempDir dir;
  LocalStore store{dir / "repo"};
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "pass", crypto::ScryptParams{1 << 10, 8, 1});
  std::vector<BlobId> ids;
  {
    Repository repo(store, key, RepositoryOptions{3, 1 << 20});
    std::mt19937_64 random(3);
    for (int i = 0; i < 3; ++i) {
      Bytes incompressible(5000); // so that each blob spans many blocks
      for (auto& b : incompressible)
        b = static_cast<std::uint8_t>(random());
      ids.push_back(repo.save_blob(BlobType::data, incompressible));
    }
    repo.flush();
  }
  Repository repo(store, key);
  repo.load_index();
  constexpr std::uint64_t k_block = 64;
  // A block in the middle of a blob holds no other blob.
  const auto middle = [&](const BlobId& id) {
    const auto at = repo.index().find(id);
    REQUIRE(at);
    return std::make_pair(Repository::pack_key(at->pack),
                          (std::uint64_t{at->offset} + at->length / 2) / k_block);
  };
  const auto [key_a, block_a] = middle(ids[0]);
  const auto [key_c, block_c] = middle(ids[2]);

  BlockSchedule schedule(repo, {ids[0], ids[1], ids[0], ids[2]}, k_block);
  CHECK(schedule.next_use(key_a, block_a) == 0);
  CHECK(schedule.next_use(key_c, block_c) == 3);
  schedule.advance(1);
  CHECK(schedule.next_use(key_a, block_a) == 2);
  schedule.advance(3);
  CHECK(schedule.next_use(key_a, block_a) == UINT64_MAX); // not needed again
  CHECK(schedule.next_use(key_c, block_c) == 3);
  CHECK(schedule.next_use("data/00/unknown", 0) == UINT64_MAX);
}

TEST_SUITE_END();
