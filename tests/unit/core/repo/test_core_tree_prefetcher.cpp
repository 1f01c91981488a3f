#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "core/common/error.hpp"
#include "core/repo/repository.hpp"
#include "core/repo/tree_prefetcher.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/counting_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::TreePrefetcher");

namespace {

// Trees named "t0", "t1", ...: each a directory of one file whose name
// tells the trees apart.
struct Fixture {
  test::TempDir dir;
  LocalStore store{dir / "repo"};
  MasterKey key = MasterKey::generate();
  std::vector<BlobId> ids;
  std::vector<Tree> trees;

  explicit Fixture(int count) {
    Repository::init(store, key, "pass", crypto::ScryptParams{1 << 10, 8, 1});
    Repository repo(store, key);
    for (int i = 0; i < count; ++i) {
      Node node;
      node.name = "file-" + std::to_string(i);
      node.size = static_cast<std::uint64_t>(i);
      trees.push_back(Tree{{node}});
      ids.push_back(repo.save_blob(BlobType::tree, encode_tree(trees.back())));
    }
    repo.flush();
  }
  std::unique_ptr<Repository> open(Store& through) {
    auto repo = std::make_unique<Repository>(through, key);
    repo->load_index();
    return repo;
  }
};

std::string first_name(const Tree& tree) { return tree.nodes.at(0).name; }

// Waits (at most 5 s) until `gets` reaches `want`.
bool reaches(const std::atomic<int>& gets, int want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (gets.load() < want && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return gets.load() >= want;
}

} // namespace

TEST_CASE("given trees announced as a walk meets them, when taken depth-first with some skipped, "
          "then each take returns its own tree") {
  Fixture f(8);
  auto repo = f.open(f.store);
  TreePrefetcher trees(*repo, 2, 3);
  // The root lists t0, t1, t2; t0 lists t3, t4; t1 is skipped; t2 lists t5.
  trees.expect_next({f.ids[0], f.ids[1], f.ids[2]});
  CHECK(first_name(trees.take(f.ids[0])) == "file-0");
  trees.expect_next({f.ids[3], f.ids[4]});
  CHECK(first_name(trees.take(f.ids[3])) == "file-3");
  CHECK(first_name(trees.take(f.ids[4])) == "file-4");
  CHECK(first_name(trees.take(f.ids[2])) == "file-2");
  trees.expect_next({f.ids[5]});
  CHECK(first_name(trees.take(f.ids[5])) == "file-5");
  // Passed over, so dropped: loaded again on the caller's thread.
  CHECK(first_name(trees.take(f.ids[1])) == "file-1");
  // Never announced.
  CHECK(first_name(trees.take(f.ids[7])) == "file-7");
}

TEST_CASE("given announced trees, when the walk has not taken any yet, then at most `ahead` are "
          "loaded, and taking them all loads each exactly once") {
  Fixture f(10);
  test::CountingStore counting(f.store, "data/");
  auto repo = f.open(counting);
  const int before = counting.gets.load();
  TreePrefetcher trees(*repo, 4, 3);
  trees.expect_next(f.ids);
  REQUIRE(reaches(counting.gets, before + 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(counting.gets.load() == before + 3);
  for (std::size_t i = 0; i < f.ids.size(); ++i)
    CHECK(first_name(trees.take(f.ids[i])) == "file-" + std::to_string(i));
  CHECK(counting.gets.load() == before + 10);
}

TEST_CASE("given the same tree announced twice (two empty directories), when taken twice, then "
          "both takes return it") {
  Fixture f(2);
  auto repo = f.open(f.store);
  TreePrefetcher trees(*repo);
  trees.expect_next({f.ids[0], f.ids[0], f.ids[1]});
  CHECK(first_name(trees.take(f.ids[0])) == "file-0");
  CHECK(first_name(trees.take(f.ids[0])) == "file-0");
  CHECK(first_name(trees.take(f.ids[1])) == "file-1");
}

TEST_CASE("given a tree missing from the index, when taken, then load_blob's error reaches the "
          "caller and the others still load") {
  Fixture f(2);
  auto repo = f.open(f.store);
  TreePrefetcher trees(*repo);
  BlobId unknown{};
  unknown.fill(0x42);
  trees.expect_next({f.ids[0], unknown, f.ids[1]});
  CHECK(first_name(trees.take(f.ids[0])) == "file-0");
  try {
    trees.take(unknown);
    FAIL("an unknown tree loaded");
  } catch (const Error& e) {
    CHECK(e.code() == Code::not_found);
  }
  CHECK(first_name(trees.take(f.ids[1])) == "file-1");
}

TEST_CASE("given a prefetcher with loads in flight, when it is destroyed before any take, then it "
          "stops cleanly") {
  Fixture f(20);
  auto repo = f.open(f.store);
  {
    TreePrefetcher trees(*repo, 4, 8);
    trees.expect_next(f.ids);
  }
  // The repository is left as it was: a new prefetcher loads them all.
  TreePrefetcher trees(*repo, 4, 8);
  trees.expect_next(f.ids);
  for (std::size_t i = 0; i < f.ids.size(); ++i)
    CHECK(first_name(trees.take(f.ids[i])) == "file-" + std::to_string(i));
}

TEST_SUITE_END();
