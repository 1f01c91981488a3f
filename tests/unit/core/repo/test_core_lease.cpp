#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/common/error.hpp"
#include "core/repo/lease.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  test::TempDir dir;
  LocalStore store{dir.path() / "store"};
  std::atomic<std::int64_t> clock{1'000'000};
  StoreLeases leases{store, "locks/", [this] { return clock.load(); }};
};

LeaseOwner owner(std::string command) { return {"web1", 4242, "alice", std::move(command)}; }

std::string locked_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(e.code() == Code::locked);
    return e.what();
  }
  FAIL("expected Error(locked)");
  return {};
}

} // namespace

TEST_SUITE_BEGIN("core::StoreLeases");

TEST_CASE("given a shared lease, when another shared one is asked for, then both are held") {
  Fixture f;
  const auto a = f.leases.acquire(LeaseKind::shared, owner("backup"), 60s);
  const auto b = f.leases.acquire(LeaseKind::shared, owner("restore"), 60s);
  CHECK(a.id != b.id);
  CHECK(f.leases.list().size() == 2);
}

TEST_CASE("given a live backup lease, when prune asks for an exclusive one, then it is refused "
          "naming the holder, and nothing of its own is left behind") {
  Fixture f;
  f.leases.acquire(LeaseKind::shared, owner("backup"), 60s);
  f.clock += 12'000;
  const std::string message =
      locked_message([&] { f.leases.acquire(LeaseKind::exclusive, owner("prune"), 60s); });
  CHECK(message.find("backup on host web1 (pid 4242, user alice)") != std::string::npos);
  CHECK(message.find("taken 12s ago") != std::string::npos);
  CHECK(message.find("expires in 48s") != std::string::npos);
  CHECK(f.leases.list().size() == 1);
}

TEST_CASE("given an exclusive lease, when a backup asks for a shared one, then it is refused") {
  Fixture f;
  const auto prune = f.leases.acquire(LeaseKind::exclusive, owner("prune"), 60s);
  locked_message([&] { f.leases.acquire(LeaseKind::shared, owner("backup"), 60s); });
  f.leases.release(prune.id);
  CHECK_NOTHROW(f.leases.acquire(LeaseKind::shared, owner("backup"), 60s));
}

TEST_CASE("given a lease whose holder stopped refreshing, when it is past its expiry and the "
          "grace, then a conflicting acquire removes it and succeeds") {
  Fixture f;
  const auto stale = f.leases.acquire(LeaseKind::shared, owner("backup"), 60s);
  f.clock += 60'000 + k_lease_grace.count() / 2;
  locked_message([&] { f.leases.acquire(LeaseKind::exclusive, owner("prune"), 60s); });
  f.clock += k_lease_grace.count();
  const auto prune = f.leases.acquire(LeaseKind::exclusive, owner("prune"), 60s);
  const auto all = f.leases.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == prune.id);
  CHECK_FALSE(f.leases.find(stale.id));
}

TEST_CASE("given a refreshed lease, then it lives on past its first expiry, one record per lease") {
  Fixture f;
  const auto a = f.leases.acquire(LeaseKind::shared, owner("backup"), 60s);
  f.clock += 50'000;
  const auto b = f.leases.refresh(a.id, 60s);
  CHECK(b.seq == a.seq + 1);
  CHECK(b.expires_ms == f.clock.load() + 60'000);
  CHECK(b.created_ms == a.created_ms);
  f.clock += 50'000;
  locked_message([&] { f.leases.acquire(LeaseKind::exclusive, owner("prune"), 60s); });
  CHECK(list_all(f.store, "locks/").size() == 1);
}

TEST_CASE("given an expired or removed lease, when its holder refreshes, then it learns it lost "
          "the lock") {
  Fixture f;
  const auto a = f.leases.acquire(LeaseKind::shared, owner("backup"), 60s);
  f.clock += 61'000;
  CHECK(std::string(locked_message([&] { f.leases.refresh(a.id, 60s); })).find("expired") !=
        std::string::npos);
  const auto b = f.leases.acquire(LeaseKind::shared, owner("backup"), 60s);
  CHECK(f.leases.remove(b.id));
  CHECK(std::string(locked_message([&] { f.leases.refresh(b.id, 60s); })).find("removed") !=
        std::string::npos);
  CHECK_FALSE(f.leases.remove(b.id));
}

TEST_CASE("given many clients racing for exclusive leases, then never two hold one at once") {
  test::TempDir dir;
  LocalStore store{dir.path() / "store"};
  StoreLeases leases{store, "locks/"};
  std::atomic<int> holders{0};
  std::atomic<int> max_holders{0};
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        try {
          const auto lease = leases.acquire(LeaseKind::exclusive, owner("prune"), 60s);
          const int now = ++holders;
          int seen = max_holders.load();
          while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
          }
          ++acquired;
          --holders;
          leases.release(lease.id);
        } catch (const Error& e) {
          CHECK(e.code() == Code::locked);
        }
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(max_holders.load() == 1);
  CHECK(acquired.load() > 0);
  CHECK(list_all(store, "locks/").empty());
}

TEST_CASE("given a malformed lease record, then it reads as long expired: acquire clears it "
          "and it never locks the account out") {
  Fixture f;
  REQUIRE(f.store.put("locks/0123456789abcdef.0000000001", as_bytes("not json")));
  const auto listed = f.leases.list();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == "0123456789abcdef");
  CHECK(listed[0].expires_ms < f.clock.load());
  CHECK(listed[0].owner.command == "an unreadable lock record");
  CHECK_NOTHROW(f.leases.acquire(LeaseKind::exclusive, owner("prune"), 60s));
  CHECK(f.store.head("locks/0123456789abcdef.0000000001") == std::nullopt);
}

TEST_CASE("given a lease refreshed between the listing and the read, then list still sees it") {
  // A store whose first read of one key fails, as if the refresh deleted it
  // right after the listing.
  struct RacyStore : LocalStore {
    using LocalStore::LocalStore;
    StoreLeases* leases = nullptr;
    std::string refresh_id;
    std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                             std::optional<std::uint64_t> length) override {
      if (!refresh_id.empty() && key.find(refresh_id) != std::string_view::npos) {
        const std::string id = std::exchange(refresh_id, "");
        leases->refresh(id, 60s);
      }
      return LocalStore::get(key, offset, length);
    }
  };
  test::TempDir dir;
  RacyStore store{dir.path() / "store"};
  std::int64_t now = 1'000'000;
  StoreLeases leases{store, "locks/", [&] { return now; }};
  store.leases = &leases;
  const auto backup = leases.acquire(LeaseKind::shared, owner("backup"), 60s);
  store.refresh_id = backup.id;
  const auto listed = leases.list();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].seq == backup.seq + 1);
}

TEST_SUITE_END();
