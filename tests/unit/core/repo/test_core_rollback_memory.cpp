#include <doctest/doctest.h>

#include "core/repo/rollback_memory.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::RollbackMemory");

namespace {

Snapshot snap(std::string id, std::int64_t seconds, std::string host = "h1") {
  Snapshot s;
  s.id = std::move(id);
  s.time_ns = seconds * 1'000'000'000;
  s.host = std::move(host);
  return s;
}

SnapshotListing listing(std::vector<Snapshot> snapshots, std::vector<std::string> damaged = {}) {
  SnapshotListing out;
  out.snapshots = std::move(snapshots);
  for (auto& id : damaged)
    out.damaged.push_back({std::move(id), "failed authentication"});
  return out;
}

} // namespace

TEST_CASE("given a saved snapshot, when the listing loses it and everything newer, then it is a "
          "rollback naming both") {
  RollbackMemory memory;
  CHECK(memory.remember_saved(snap("a", 100)));
  CHECK(memory.remember_saved(snap("b", 200)));
  CHECK(memory.find_rollbacks(listing({snap("a", 100), snap("b", 200)})).empty());

  const auto found = memory.find_rollbacks(listing({snap("a", 100)}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].host == "h1");
  CHECK(found[0].remembered.id == "b");
  REQUIRE(found[0].newest);
  CHECK(found[0].newest->id == "a");
  // Nothing of the host at all is a rollback too.
  CHECK(memory.find_rollbacks(listing({snap("x", 900, "other")})).size() == 1);
}

TEST_CASE("given a remembered snapshot, when older ones are forgotten or newer ones appear, then "
          "it is no rollback and the newer ones are remembered") {
  RollbackMemory memory;
  memory.remember_saved(snap("b", 200));
  CHECK(memory.find_rollbacks(listing({snap("b", 200)})).empty()); // "a" forgotten elsewhere
  CHECK(memory.remember_newer(listing({snap("b", 200), snap("c", 300)})));
  CHECK(memory.newest_by_host().at("h1").id == "c");
  CHECK(memory.find_rollbacks(listing({snap("b", 200)})).size() == 1);
  // Hosts this client never backed up as are not remembered.
  CHECK_FALSE(memory.remember_newer(listing({snap("z", 999, "other")})));
  CHECK(memory.newest_by_host().size() == 1);
}

TEST_CASE("given a remembered newest snapshot, when tag replaced it by one of the same time and a "
          "lower or higher ID, then it is no rollback") {
  RollbackMemory memory;
  CHECK(memory.remember_saved(snap("m", 200)));
  CHECK(memory.find_rollbacks(listing({snap("a", 100), snap("b", 200)})).empty());
  CHECK(memory.find_rollbacks(listing({snap("a", 100), snap("z", 200)})).empty());
  CHECK(memory.find_rollbacks(listing({snap("a", 100), snap("z", 199)})).size() == 1);
}

TEST_CASE("given a damaged newest snapshot, when checked, then it is damage and no rollback") {
  RollbackMemory memory;
  memory.remember_saved(snap("b", 200));
  CHECK(memory.find_rollbacks(listing({snap("a", 100)}, {"b"})).empty());
}

TEST_CASE("given this client's own forget of its newest snapshot, when remembered, then the "
          "newest remaining one is what counts") {
  RollbackMemory memory;
  memory.remember_saved(snap("b", 200));
  CHECK(memory.remember_removed({"b"}, listing({snap("a", 100)})));
  CHECK(memory.newest_by_host().at("h1").id == "a");
  CHECK(memory.find_rollbacks(listing({snap("a", 100)})).empty());
  CHECK(memory.remember_removed({"a"}, listing({})));
  CHECK(memory.empty());
}

TEST_CASE("given a rollback, when accepted, then the listing is what is remembered") {
  RollbackMemory memory;
  memory.remember_saved(snap("b", 200));
  memory.remember_saved(snap("q", 200, "h2"));
  CHECK(memory.accept(listing({snap("a", 100)})));
  CHECK(memory.newest_by_host().at("h1").id == "a");
  CHECK_FALSE(memory.newest_by_host().contains("h2"));
  CHECK(memory.find_rollbacks(listing({snap("a", 100)})).empty());
}

TEST_CASE("given a memory, when written to JSON and read back, then it is the same, and malformed "
          "entries are dropped") {
  RollbackMemory memory;
  memory.remember_saved(snap("b", 200));
  const auto back = RollbackMemory::from_json(memory.to_json());
  REQUIRE(back.newest_by_host().size() == 1);
  CHECK(back.newest_by_host().at("h1").id == "b");
  CHECK(back.newest_by_host().at("h1").time_ns == 200'000'000'000);
  const auto bad = RollbackMemory::from_json(
      nlohmann::json::parse(R"({"newest_by_host":{"h1":{"id":3},"h2":"x"}})"));
  CHECK(bad.empty());
  CHECK(RollbackMemory::from_json(nlohmann::json::array()).empty());
}

TEST_SUITE_END();
