#include <doctest/doctest.h>

#include <atomic>
#include <functional>
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

namespace {

// A front-end's view of the shared store whose next put of a lock record
// stalls: `during` runs while the put is in flight (before it lands, or
// after it landed but before it returns), as a slow store or retries would.
class StallingStore final : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  enum class When { before_landing, after_landing };
  void stall_next_put(When when, std::function<void()> during) {
    m_when = when;
    m_during = std::move(during);
  }
  bool put(std::string_view key, ByteView data) override {
    auto during = std::exchange(m_during, {});
    if (during && m_when == When::before_landing) during();
    const bool created = ForwardingStore::put(key, data);
    if (during && m_when == When::after_landing) during();
    return created;
  }

private:
  When m_when = When::before_landing;
  std::function<void()> m_during;
};

// Two front-ends over one store; B's clock runs 4 s ahead of A's (less than
// k_lease_grace, the bound lease.hpp assumes).
struct TwoFrontEnds {
  test::TempDir dir;
  LocalStore shared{dir.path() / "store"};
  StallingStore view_a{shared};
  std::int64_t clock_a = 1'000'000;
  static constexpr std::int64_t k_b_ahead = 4'000;
  StoreLeases a{view_a, "locks/", [this] { return clock_a; }};
  StoreLeases b{shared, "locks/", [this] { return clock_a + k_b_ahead; }};
};

} // namespace

TEST_CASE("given a refresh whose put stalls past expiry + grace while another front-end sweeps the "
          "lease and takes an exclusive one, then the refresh reports the lease lost and does not "
          "resurrect it") {
  TwoFrontEnds f;
  const auto backup = f.a.acquire(LeaseKind::shared, owner("backup"), 60s);
  f.clock_a = backup.expires_ms - 1'000; // refreshed in good time, on A's clock
  std::optional<Lease> prune;
  f.view_a.stall_next_put(StallingStore::When::before_landing, [&] {
    f.clock_a += 10'000; // B now reads expiry + 5 s + 4 s skew
    prune = f.b.acquire(LeaseKind::exclusive, owner("prune"), 60s);
  });
  const std::string message = locked_message([&] { f.a.refresh(backup.id, 60s); });
  CHECK(message.find("lost") != std::string::npos);
  REQUIRE(prune);
  const auto all = f.b.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == prune->id);
  locked_message([&] { f.a.acquire(LeaseKind::shared, owner("backup"), 60s); });
}

TEST_CASE("given a refresh that lands just before expiry, when a front-end whose clock runs 4 s "
          "ahead lists right after, then the lease is live and a prune is refused") {
  TwoFrontEnds f;
  const auto backup = f.a.acquire(LeaseKind::shared, owner("backup"), 60s);
  f.clock_a = backup.expires_ms - 1;
  f.view_a.stall_next_put(StallingStore::When::after_landing, [&] {
    locked_message([&] { f.b.acquire(LeaseKind::exclusive, owner("prune"), 60s); });
  });
  const auto refreshed = f.a.refresh(backup.id, 60s);
  CHECK(refreshed.seq == 2);
  f.clock_a += 30'000;
  locked_message([&] { f.b.acquire(LeaseKind::exclusive, owner("prune"), 60s); });
}

TEST_CASE("given an acquire whose put stalls past the lease's life, then it is refused and leaves "
          "no lock behind") {
  TwoFrontEnds f;
  f.view_a.stall_next_put(StallingStore::When::before_landing, [&] { f.clock_a += 70'000; });
  const std::string message =
      locked_message([&] { f.a.acquire(LeaseKind::exclusive, owner("prune"), 60s); });
  CHECK(message.find("too slowly") != std::string::npos);
  CHECK(list_all(f.shared, "locks/").empty());
}

TEST_SUITE_END();
