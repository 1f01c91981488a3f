#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "server/handler/usage_ledger.hpp"

using offsite::server::Usage;
using offsite::server::UsageLedger;
using namespace std::chrono_literals;

TEST_SUITE_BEGIN("server::UsageLedger");

namespace {

// The store as other front-ends leave it, and a clock the test moves.
struct Fixture {
  Usage in_store;
  int counts = 0;
  std::chrono::steady_clock::time_point now{};
  UsageLedger ledger{[this](const std::string&) {
                       ++counts;
                       return in_store;
                     },
                     [this] { return now; }};
};

constexpr std::uint64_t k_gib = 1u << 30;

} // namespace

TEST_CASE("given a figure far from the limit, then fresh it needs no count, and older than the "
          "bound it is counted again and sees what the other front-ends stored") {
  Fixture f;
  CHECK(f.ledger.reserve("a", 100, k_gib, 0) == UsageLedger::Verdict::done);
  f.ledger.finish("a", 100, true);
  CHECK(f.counts == 1);
  f.in_store = {k_gib - 50, 10}; // another front-end filled the account
  f.now += 1s;
  CHECK(f.ledger.reserve("a", 100, k_gib, 0) == UsageLedger::Verdict::done);
  f.ledger.finish("a", 100, false);
  CHECK(f.counts == 1);
  f.now += UsageLedger::k_max_age;
  CHECK(f.ledger.reserve("a", 100, k_gib, 0) == UsageLedger::Verdict::over_bytes);
  CHECK(f.counts == 2);
}

TEST_CASE("given a figure near the limit, then every put is checked against the store") {
  Fixture f;
  f.in_store = {k_gib - UsageLedger::k_min_byte_margin, 1};
  for (int i = 0; i < 3; ++i) {
    CHECK(f.ledger.reserve("a", 10, k_gib, 0) == UsageLedger::Verdict::done);
    f.ledger.finish("a", 10, true);
    f.in_store.bytes += 10;
  }
  CHECK(f.counts == 3);
}

TEST_CASE("given puts in flight, when a count runs, then they still count against the quota") {
  Fixture f;
  CHECK(f.ledger.reserve("a", 6, 10, 0) == UsageLedger::Verdict::done); // not landed yet
  CHECK(f.ledger.reserve("a", 6, 10, 0) == UsageLedger::Verdict::over_bytes);
  f.ledger.finish("a", 6, false);
  CHECK(f.ledger.reserve("a", 6, 10, 0) == UsageLedger::Verdict::done);
}

TEST_CASE("given an object quota, when the store holds as many objects, then refused") {
  Fixture f;
  f.in_store = {0, 3};
  CHECK(f.ledger.reserve("a", 0, 0, 3) == UsageLedger::Verdict::over_objects);
  f.in_store = {0, 2};
  CHECK(f.ledger.reserve("a", 0, 0, 3) == UsageLedger::Verdict::done);
}

TEST_SUITE_END();
