#include <doctest/doctest.h>

#include <filesystem>
#include <memory>

#include "core/common/error.hpp"
#include "core/maintenance/check.hpp"
#include "core/maintenance/prune.hpp"
#include "core/maintenance/reachability.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

namespace {

PrunePlan plan(Repository& repo, double max_unused = 50) {
  PruneReporter reporter;
  PruneOptions options;
  options.max_repack_unused_percent = max_unused;
  options.pack_size = test::k_test_pack;
  return plan_prune(repo, options, reporter);
}

PruneResult prune(Repository& repo, double max_unused = 50) {
  PruneReporter reporter;
  PruneOptions options;
  options.max_repack_unused_percent = max_unused;
  options.pack_size = test::k_test_pack;
  return execute_prune(repo, plan_prune(repo, options, reporter), options, reporter);
}

void require_clean(Store& store, test::BackupFixture& f) {
  auto repo = f.open(store);
  CheckReporter reporter;
  CheckOptions options;
  options.read_data = true;
  const auto result = check_repository(*repo, options, reporter);
  for (const auto& p : result.problems)
    MESSAGE(p.kind << ": " << p.message);
  CHECK(result.ok());
}

// Two snapshots: the first of 18 files, the second keeping every third of
// them and adding 6 new ones. With the first forgotten, most packs of the
// first backup hold one used blob in three: "mostly unused".
std::string two_generations(test::BackupFixture& f) {
  for (int i = 0; i < 18; ++i)
    f.put("a" + std::to_string(i), static_cast<std::uint64_t>(i));
  const std::string first = f.backup();
  for (int i = 0; i < 18; ++i)
    if (i % 3 != 0) f.drop("a" + std::to_string(i));
  for (int i = 0; i < 6; ++i)
    f.put("b" + std::to_string(i), static_cast<std::uint64_t>(100 + i));
  f.backup();
  return first;
}

// Fails every put and remove after the first `budget`, as a network cut or
// a crash would stop a prune half-way.
class FailingStore : public ForwardingStore {
public:
  FailingStore(Store& inner, std::size_t budget) : ForwardingStore(inner), m_budget(budget) {}
  bool put(std::string_view key, ByteView data) override {
    spend();
    return ForwardingStore::put(key, data);
  }
  bool remove(std::string_view key) override {
    spend();
    return ForwardingStore::remove(key);
  }

private:
  void spend() {
    if (m_budget == 0) throw Error(Code::no_server, "injected failure");
    --m_budget;
  }
  std::size_t m_budget;
};

} // namespace

TEST_SUITE_BEGIN("core::Prune");

TEST_CASE("given a forgotten snapshot, when pruning, then its data goes, every referenced blob "
          "stays and the rest restores identical") {
  test::BackupFixture f;
  const std::string first = two_generations(f);
  BlobIdSet gone; // content only the first snapshot had
  {
    auto repo = f.open();
    for (int i = 0; i < 18; ++i)
      if (i % 3 != 0)
        gone.insert(repo->codec().id_of(
            test::file_content(static_cast<std::uint64_t>(i), test::k_file_size)));
  }
  f.forget(first);
  const std::uint64_t before = f.stored_bytes();

  auto repo = f.open();
  const auto p = plan(*repo);
  CHECK(p.snapshots == 1);
  CHECK(p.stored_before == before);
  CHECK(p.remove.packs + p.repack.packs > 0);
  CHECK(p.repack.packs > 0); // packs mixing used and unused files
  CHECK(p.stored_after_estimate < before);
  const auto result = prune(*repo);
  CHECK(result.stored_after < before);
  CHECK(result.stored_after == f.stored_bytes());
  CHECK(result.packs_removed == p.packs_to_remove.size());

  auto after = f.open();
  std::size_t left = 0; // in packs kept for being at most half unused
  for (const auto& id : gone)
    left += after->index().contains(id) ? 1 : 0;
  CHECK(left < gone.size());
  const auto reachable = find_reachable(*after, after->list_snapshots());
  CHECK(reachable.problems.empty());
  for (const auto& id : reachable.data)
    CHECK(after->load_blob(BlobType::data, id).size() == test::k_file_size);
  f.require_restorable();
  require_clean(f.store, f);

  // A second prune finds nothing to do (and nothing churns).
  const auto again = plan(*after);
  CHECK(again.nothing_to_do());
  CHECK(again.repack.packs == 0);

  // With the threshold at 0, every unused blob goes.
  prune(*after, 0);
  auto last = f.open();
  for (const auto& id : gone)
    CHECK_FALSE(last->index().contains(id));
  CHECK(plan(*last, 0).nothing_to_do());
  f.require_restorable();
  require_clean(f.store, f);
}

TEST_CASE("given a pack that is mostly unused, when pruning, then it is repacked unless the "
          "threshold forbids it") {
  test::BackupFixture f;
  for (int i = 0; i < 10; ++i)
    f.put("a" + std::to_string(i), static_cast<std::uint64_t>(i));
  const std::string first = f.backup(1 << 20); // one pack of data, one of trees
  for (int i = 2; i < 10; ++i)
    f.drop("a" + std::to_string(i));
  f.backup(1 << 20); // only new trees: a third pack
  f.forget(first);
  REQUIRE(f.count("data/") == 3);

  auto repo = f.open();
  // The first snapshot's trees are all unused: their pack goes whatever the
  // threshold; the data pack is kept at 100 % and repacked at 50 %.
  const auto never = plan(*repo, 100);
  CHECK(never.repack.packs == 0);
  CHECK(never.remove.packs == 1);

  const auto p = plan(*repo, 50);
  CHECK(p.repack.packs == 1);
  CHECK(p.repack_keep.blobs == 2); // the two files the second snapshot still has
  CHECK(p.repack_sources.size() == 1);
  CHECK(p.remove.packs == 1);
  const auto result = prune(*repo, 50);
  CHECK(result.packs_written == 1);
  CHECK(result.packs_removed == 2);
  CHECK(result.stored_after < p.stored_before);
  CHECK(f.count("index/") == 1);
  f.require_restorable();
  require_clean(f.store, f);
}

TEST_CASE("given a referenced blob whose pack is gone, when pruning, then it stops before "
          "deleting anything") {
  test::BackupFixture f;
  const std::string first = two_generations(f);
  f.forget(first);
  {
    auto repo = f.open();
    const auto b0 = repo->codec().id_of(test::file_content(100, test::k_file_size));
    const auto loc = repo->index().find(b0);
    REQUIRE(loc);
    REQUIRE(f.store.remove(Repository::pack_key(loc->pack)));
  }
  const auto packs = f.count("data/");
  const auto indexes = f.count("index/");
  auto repo = f.open();
  PruneReporter reporter;
  try {
    plan_prune(*repo, PruneOptions{}, reporter);
    FAIL("prune went ahead");
  } catch (const Error& e) {
    CHECK(e.code() == Code::integrity);
    CHECK(std::string(e.what()).find("before deleting anything") != std::string::npos);
    CHECK(e.hint().find("offsite check") != std::string::npos);
  }
  CHECK(f.count("data/") == packs);
  CHECK(f.count("index/") == indexes);
}

TEST_CASE("given a prune interrupted after any number of writes, then the repository checks "
          "clean, restores, and the next prune finishes the job") {
  test::BackupFixture f;
  const std::string first = two_generations(f);
  f.forget(first);
  const fs::path pristine = f.dir / "pristine";
  fs::copy(f.root, pristine, fs::copy_options::recursive);

  std::uint64_t final_size = 0;
  {
    auto repo = f.open();
    final_size = prune(*repo).stored_after;
  }
  bool completed = false;
  std::size_t budget = 0;
  for (; !completed && budget < 200; ++budget) {
    CAPTURE(budget);
    fs::remove_all(f.root);
    fs::copy(pristine, f.root, fs::copy_options::recursive);
    FailingStore failing(f.store, budget);
    try {
      auto repo = f.open(failing);
      prune(*repo);
      completed = true;
    } catch (const Error& e) {
      CHECK(e.code() == Code::no_server);
    }
    require_clean(f.store, f);
    f.require_restorable();
    auto repo = f.open();
    const auto result = prune(*repo);
    CHECK(result.stored_after == final_size);
    require_clean(f.store, f);
  }
  CHECK(completed);
  CHECK(budget > 5); // the prune had several steps to interrupt
}

TEST_CASE("given everything forgotten, when pruning, then no pack and no index file remains") {
  test::BackupFixture f;
  f.put("x", 1);
  const auto id = f.backup();
  f.forget(id);
  auto repo = f.open();
  const auto result = prune(*repo);
  CHECK(result.stored_after == 0);
  CHECK(f.count("data/") == 0);
  CHECK(f.count("index/") == 0);
}

TEST_SUITE_END();
