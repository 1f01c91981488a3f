#include <doctest/doctest.h>

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

  explicit Fixture(int blobs) {
    Repository::init(store, key, "pass", crypto::ScryptParams{1 << 10, 8, 1});
    Repository repo(store, key, RepositoryOptions{3, 64 * 1024});
    for (int i = 0; i < blobs; ++i) {
      plain.emplace_back(static_cast<std::size_t>(5000 + 300 * i), static_cast<std::uint8_t>(i));
      ids.push_back(repo.save_blob(BlobType::data, plain.back()));
    }
    repo.flush();
  }
  std::unique_ptr<Repository> open() {
    auto repo = std::make_unique<Repository>(store, key);
    repo->load_index();
    return repo;
  }
};

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

TEST_SUITE_END();
