#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "core/common/error.hpp"
#include "core/repo/pack_block_cache.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/counting_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::PackBlockCache");

namespace {

constexpr std::uint64_t k_block = PackBlockCache::k_block_size;

struct Fixture {
  test::TempDir dir;
  LocalStore store{dir / "repo"};
  Bytes object;
  // An object of 3.5 blocks of random bytes.
  Fixture() : object(3 * k_block + k_block / 2) {
    std::mt19937_64 random(7);
    for (auto& b : object)
      b = static_cast<std::uint8_t>(random());
    REQUIRE(store.put("data/p", object));
  }
};

// Fails the next `failures` gets, as a data centre that stops answering.
class FailingStore : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override {
    if (failures > 0) {
      --failures;
      throw Error(Code::generic, "the store stopped answering");
    }
    return ForwardingStore::get(key, offset, length);
  }
  int failures = 0;
};

Bytes slice(const Bytes& b, std::uint64_t offset, std::uint64_t length) {
  return {b.begin() + static_cast<std::ptrdiff_t>(offset),
          b.begin() + static_cast<std::ptrdiff_t>(offset + length)};
}

} // namespace

TEST_CASE("given a 3.5-block object, when ranges are read through the cache, then each is what "
          "the store itself returns, short reads at the end included") {
  Fixture f;
  PackBlockCache cache(f.store, 8 * k_block);
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges = {
      {0, 10},
      {k_block - 5, 10},                    // across a block boundary
      {100, 2 * k_block + 17},              // across three blocks
      {3 * k_block + 10, 100},              // inside the last, short block
      {3 * k_block + k_block / 2 - 3, 100}, // past the end: 3 bytes
      {3 * k_block + k_block / 2, 10},      // at the end: empty
      {5 * k_block, 10},                    // far past the end: empty
  };
  for (const auto& [offset, length] : ranges) {
    CAPTURE(offset);
    CAPTURE(length);
    const auto expected = f.store.get("data/p", offset, length);
    const auto got = cache.get("data/p", offset, length);
    REQUIRE(got.has_value());
    CHECK(*got == *expected);
  }
  CHECK_FALSE(cache.get("data/missing", 0, 10).has_value());
}

TEST_CASE("given many reads inside one block, when read through the cache, then the store is "
          "asked once, and again only after the block was evicted") {
  Fixture f;
  test::CountingStore counting(f.store);
  PackBlockCache cache(counting, 2 * k_block);
  for (std::uint64_t at = 0; at < k_block - 100; at += 4096)
    CHECK(cache.get("data/p", at, 100)->size() == 100);
  CHECK(counting.gets.load() == 1);
  // Three more blocks pass through a cache of two: the first is gone.
  for (std::uint64_t block = 1; block <= 3; ++block)
    (void)cache.get("data/p", block * k_block, 10);
  CHECK(counting.gets.load() == 4);
  (void)cache.get("data/p", 0, 10);
  CHECK(counting.gets.load() == 5);
}

TEST_CASE("given the reader's order, when a block must go, then the one needed last goes, not "
          "the least recently used") {
  Fixture f;
  test::CountingStore counting(f.store);
  PackBlockCache cache(counting, 2 * k_block);
  // Block 0 is needed again at step 10, block 1 never, block 2 at step 5.
  cache.advise([](const std::string&, std::uint64_t block) -> std::uint64_t {
    return block == 0 ? 10 : block == 2 ? 5 : UINT64_MAX;
  });
  (void)cache.get("data/p", 0, 10);
  (void)cache.get("data/p", k_block, 10);
  (void)cache.get("data/p", 2 * k_block, 10); // over the budget: block 1 goes, not block 0
  CHECK(counting.gets.load() == 3);
  (void)cache.get("data/p", 0, 10);
  (void)cache.get("data/p", 2 * k_block, 10);
  CHECK(counting.gets.load() == 3);
  // Without advice, least recently used again: block 0 (used before 2) goes.
  cache.advise({});
  (void)cache.get("data/p", k_block, 10);
  CHECK(counting.gets.load() == 4);
  (void)cache.get("data/p", 2 * k_block, 10);
  CHECK(counting.gets.load() == 4);
  (void)cache.get("data/p", 0, 10);
  CHECK(counting.gets.load() == 5);
}

TEST_CASE("given a range over blocks not held, when it is read, then the store is asked once "
          "for each run of missing neighbours, and each block is kept on its own") {
  Fixture f;
  test::CountingStore counting(f.store);
  PackBlockCache cache(counting, 8 * k_block);
  // Blocks 0, 1 and 2 missing: one request.
  CHECK(*cache.get("data/p", 100, 2 * k_block + 17) == slice(f.object, 100, 2 * k_block + 17));
  CHECK(counting.gets.load() == 1);
  // Each is held: any one of them alone costs nothing.
  for (std::uint64_t block = 0; block < 3; ++block)
    CHECK(*cache.get("data/p", block * k_block + 5, 10) ==
          slice(f.object, block * k_block + 5, 10));
  CHECK(counting.gets.load() == 1);
  // Over the end: block 3 is short, block 4 does not exist; one request.
  CHECK(*cache.get("data/p", 3 * k_block, 2 * k_block) ==
        slice(f.object, 3 * k_block, k_block / 2));
  CHECK(counting.gets.load() == 2);

  // With block 1 held, blocks 0 and 2 are two runs: two requests.
  PackBlockCache gaps(counting, 8 * k_block);
  (void)gaps.get("data/p", k_block, 10);
  counting.gets = 0;
  CHECK(*gaps.get("data/p", 0, 3 * k_block) == slice(f.object, 0, 3 * k_block));
  CHECK(counting.gets.load() == 2);
}

TEST_CASE("given the reader's order and a distance, when a block is read, then its neighbours "
          "needed within that distance and not held come in the same request") {
  Fixture f;
  test::CountingStore counting(f.store);
  PackBlockCache cache(counting, 8 * k_block);
  // Needed at: block 0 at step 3, block 1 now (step 2), block 2 at step 9,
  // block 3 at step 100 (too far for a distance of 10).
  cache.advise(
      [](const std::string&, std::uint64_t block) -> std::uint64_t {
        constexpr std::uint64_t steps[] = {3, 2, 9, 100};
        return block < 4 ? steps[block] : UINT64_MAX;
      },
      10);
  CHECK(*cache.get("data/p", k_block + 7, 10) == slice(f.object, k_block + 7, 10));
  CHECK(counting.gets.load() == 1);
  CHECK(*cache.get("data/p", 0, 10) == slice(f.object, 0, 10));
  CHECK(*cache.get("data/p", 2 * k_block, 10) == slice(f.object, 2 * k_block, 10));
  CHECK(counting.gets.load() == 1);
  CHECK(*cache.get("data/p", 3 * k_block, 10) == slice(f.object, 3 * k_block, 10));
  CHECK(counting.gets.load() == 2);

  // Without the distance, only the block read comes.
  PackBlockCache alone(counting, 8 * k_block);
  alone.advise([](const std::string&, std::uint64_t) -> std::uint64_t { return 1; });
  counting.gets = 0;
  (void)alone.get("data/p", k_block, 10);
  (void)alone.get("data/p", 0, 10);
  CHECK(counting.gets.load() == 2);
}

TEST_CASE("given a store that fails, when a range over several blocks is read, then the reader "
          "gets the error, nothing is kept, and the next read asks again and gets the bytes") {
  Fixture f;
  FailingStore failing(f.store);
  test::CountingStore counting(failing);
  PackBlockCache cache(counting, 8 * k_block);
  // Block 1 held; blocks 0 and 2 are separate runs, and the first fails.
  (void)cache.get("data/p", k_block, 10);
  failing.failures = 1;
  CHECK_THROWS_WITH_AS(cache.get("data/p", 0, 3 * k_block), "the store stopped answering", Error);
  CHECK(counting.gets.load() == 2); // block 1, then the failed run of block 0
  CHECK(*cache.get("data/p", 0, 3 * k_block) == slice(f.object, 0, 3 * k_block));
  CHECK(counting.gets.load() == 4); // blocks 0 and 2 asked again
  CHECK(*cache.get("data/p", 2 * k_block, 10) == slice(f.object, 2 * k_block, 10));
  CHECK(counting.gets.load() == 4);
}

TEST_CASE("given eight threads reading one block at once, when they finish, then the store was "
          "asked once and all got the same bytes") {
  Fixture f;
  test::CountingStore counting(f.store);
  PackBlockCache cache(counting, 8 * k_block);
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      const auto offset = static_cast<std::uint64_t>(i) * 1000;
      const auto got = cache.get("data/p", offset, 500);
      if (got && Bytes(f.object.begin() + static_cast<std::ptrdiff_t>(offset),
                       f.object.begin() + static_cast<std::ptrdiff_t>(offset + 500)) == *got)
        ++right;
    });
  for (auto& t : threads)
    t.join();
  CHECK(right.load() == 8);
  CHECK(counting.gets.load() == 1);
}

TEST_SUITE_END();
