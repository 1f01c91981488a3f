#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <string>

#include "core/common/error.hpp"
#include "core/repo/repository.hpp"
#include "core/restore/blob_prefetcher.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::BlobPrefetcher");

namespace {

struct Fixture {
  test::TempDir dir;
  LocalStore store{dir / "repo"};
  MasterKey key = MasterKey::generate();
  std::vector<BlobId> ids;
  std::vector<Bytes> plain;

  explicit Fixture(int blobs, std::size_t pack_size = 64 * 1024, std::size_t size = 5000,
                   std::size_t step = 300) {
    Repository::init(store, key, "pass", crypto::ScryptParams{1 << 10, 8, 1});
    Repository repo(store, key, RepositoryOptions{3, pack_size});
    for (int i = 0; i < blobs; ++i) {
      plain.emplace_back(size + step * static_cast<std::size_t>(i), static_cast<std::uint8_t>(i));
      ids.push_back(repo.save_blob(BlobType::data, plain.back()));
    }
    repo.flush();
  }
  // Packs hold their blobs in a random order (core/format/pack.cpp); a run
  // is blobs taken in the order they sit in their pack.
  void sort_by_offset() {
    const auto repo = open();
    std::vector<std::size_t> order(ids.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return repo->index().find(ids[a])->offset < repo->index().find(ids[b])->offset;
    });
    std::vector<BlobId> sorted_ids;
    std::vector<Bytes> sorted_plain;
    for (const std::size_t i : order) {
      sorted_ids.push_back(ids[i]);
      sorted_plain.push_back(plain[i]);
    }
    ids = std::move(sorted_ids);
    plain = std::move(sorted_plain);
  }
  std::unique_ptr<Repository> open() {
    auto repo = std::make_unique<Repository>(store, key);
    repo->load_index();
    return repo;
  }
};

// Counts the ranged gets of packs, and remembers the longest.
class CountingStore : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override {
    if (key.starts_with("data/")) {
      ++pack_gets;
      std::uint64_t seen = longest.load();
      while (length && *length > seen && !longest.compare_exchange_weak(seen, *length)) {
      }
    }
    return ForwardingStore::get(key, offset, length);
  }
  std::atomic<int> pack_gets{0};
  std::atomic<std::uint64_t> longest{0};
};

Error catch_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error was thrown");
  return Error(Code::generic, "unreachable");
}

} // namespace

TEST_CASE("given announced blobs, when taken in order with some skipped, then each take returns "
          "its own plaintext") {
  Fixture f(40);
  auto repo = f.open();
  BlobPrefetcher prefetch(*repo, 3, 20000); // a budget of a few blobs: workers must wait
  prefetch.expect(f.ids);
  for (std::size_t i = 0; i < f.ids.size(); ++i) {
    if (i % 7 == 3) continue; // a file the restorer skipped
    CHECK(prefetch.take(f.ids[i]) == f.plain[i]);
  }
}

TEST_CASE("given a blob never announced or already passed, when taken, then it is loaded anyway") {
  Fixture f(6);
  auto repo = f.open();
  BlobPrefetcher prefetch(*repo);
  prefetch.expect({f.ids[0], f.ids[1], f.ids[2]});
  CHECK(prefetch.take(f.ids[2]) == f.plain[2]);
  CHECK(prefetch.take(f.ids[0]) == f.plain[0]); // dropped by the skip, loaded again
  CHECK(prefetch.take(f.ids[5]) == f.plain[5]);
  // The same blob announced twice (a file of repeated chunks) is taken twice.
  prefetch.expect({f.ids[4], f.ids[4]});
  CHECK(prefetch.take(f.ids[4]) == f.plain[4]);
  CHECK(prefetch.take(f.ids[4]) == f.plain[4]);
}

TEST_CASE("given a blob missing from the index, when taken, then its load error reaches the "
          "caller") {
  Fixture f(2);
  auto repo = f.open();
  BlobPrefetcher prefetch(*repo);
  BlobId unknown{};
  unknown.fill(0x42);
  prefetch.expect({f.ids[0], unknown, f.ids[1]});
  CHECK(prefetch.take(f.ids[0]) == f.plain[0]);
  try {
    prefetch.take(unknown);
    FAIL("an unknown blob loaded");
  } catch (const Error& e) {
    CHECK(e.code() == Code::not_found);
  }
  CHECK(prefetch.take(f.ids[1]) == f.plain[1]);
}

TEST_CASE(
    "given 50 small blobs adjacent in one pack, when announced and taken in pack order, then a few "
    "ranged gets load them all with identical bytes") {
  Fixture f(50, k_pack_target_size, 1000, 10);
  f.sort_by_offset();
  REQUIRE(f.open()->index().packs().size() == 1);
  CountingStore counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  BlobPrefetcher prefetch(repo);
  prefetch.expect(f.ids);
  for (std::size_t i = 0; i < f.ids.size(); ++i)
    CHECK(prefetch.take(f.ids[i]) == f.plain[i]);
  CHECK(counting.pack_gets.load() <= 2);
}

TEST_CASE("given 50 blobs of one pack taken in the order backup saved them (the pack shuffled "
          "them), when loaded, then a few ranged gets still load them all") {
  Fixture f(50, k_pack_target_size, 1000, 10);
  REQUIRE(f.open()->index().packs().size() == 1);
  CountingStore counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  BlobPrefetcher prefetch(repo);
  prefetch.expect(f.ids);
  for (std::size_t i = 0; i < f.ids.size(); ++i)
    CHECK(prefetch.take(f.ids[i]) == f.plain[i]);
  CHECK(counting.pack_gets.load() <= 4);
}

TEST_CASE("given a remote store, when 50 blobs of one pack are taken, then the pack is read in "
          "blocks: one get per block, however the blobs lie") {
  class RemoteCounting : public CountingStore {
  public:
    using CountingStore::CountingStore;
    bool remote() const override { return true; }
  };
  Fixture f(50, k_pack_target_size, 1000, 10);
  RemoteCounting counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  const auto pack_size = *f.store.head(Repository::pack_key(repo.index().packs().front()));
  BlobPrefetcher prefetch(repo, 4, 2000); // runs of one blob: the blocks do the work
  prefetch.expect(f.ids);
  for (std::size_t i = 0; i < f.ids.size(); ++i)
    CHECK(prefetch.take(f.ids[i]) == f.plain[i]);
  CHECK(counting.pack_gets.load() ==
        static_cast<int>((pack_size + PackBlockCache::k_block_size - 1) /
                         PackBlockCache::k_block_size));
  CHECK(counting.longest.load() == PackBlockCache::k_block_size);
}

TEST_CASE("given a run with one corrupted blob, when taken, then only that blob fails, with "
          "load_blob's integrity error, and the others come back intact") {
  Fixture f(20, k_pack_target_size, 1000, 10);
  f.sort_by_offset();
  auto plain_repo = f.open();
  REQUIRE(plain_repo->index().packs().size() == 1);
  const std::size_t bad = 7;
  const auto loc = *plain_repo->index().find(f.ids[bad]);
  {
    const auto file = f.dir / "repo" / Repository::pack_key(loc.pack);
    std::fstream out(file, std::ios::binary | std::ios::in | std::ios::out);
    out.seekg(loc.offset + loc.length / 2);
    const auto byte = static_cast<char>(out.get() ^ 0x01);
    out.seekp(loc.offset + loc.length / 2);
    out.put(byte);
    REQUIRE(out.good());
  }
  const Error expected = catch_error([&] { plain_repo->load_blob(BlobType::data, f.ids[bad]); });
  REQUIRE(expected.code() == Code::integrity);

  CountingStore counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  BlobPrefetcher prefetch(repo);
  prefetch.expect(f.ids);
  for (std::size_t i = 0; i < f.ids.size(); ++i) {
    CAPTURE(i);
    if (i != bad) {
      CHECK(prefetch.take(f.ids[i]) == f.plain[i]);
      continue;
    }
    const Error e = catch_error([&] { prefetch.take(f.ids[i]); });
    CHECK(e.code() == expected.code());
    CHECK(std::string(e.what()) == expected.what());
    CHECK(e.hint() == expected.hint());
    CHECK(e.is_data_damage());
  }
  CHECK(counting.pack_gets.load() <= 2); // it was read as part of a run
}

TEST_CASE("given a small memory budget, when adjacent blobs are taken, then no ranged get reads "
          "more than the budget") {
  Fixture f(60, k_pack_target_size, 3000, 50);
  f.sort_by_offset();
  CountingStore counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  const std::size_t budget = 20000;                // a few blobs (counted by their plaintext size)
  BlobPrefetcher prefetch(repo, 3, budget, false); // no block cache: gets are the runs
  prefetch.expect(f.ids);
  for (std::size_t i = 0; i < f.ids.size(); ++i)
    CHECK(prefetch.take(f.ids[i]) == f.plain[i]);
  CHECK(counting.longest.load() <= budget);
  CHECK(counting.pack_gets.load() > 1);
  CHECK(counting.pack_gets.load() < 60); // but runs still form
}

TEST_SUITE_END();
