#include <doctest/doctest.h>

#include "server/serve/byte_budget.hpp"

using offsite::server::ByteBudget;

TEST_SUITE_BEGIN("server::ByteBudget");

TEST_CASE("given a budget, when charges pass its limit, then they are refused until bytes come "
          "back") {
  ByteBudget budget(100);
  auto a = budget.try_charge(60);
  REQUIRE(a);
  CHECK_FALSE(budget.try_charge(41));
  {
    auto b = budget.try_charge(40);
    REQUIRE(b);
    CHECK(budget.used() == 100);
  }
  CHECK(budget.used() == 60);
  a.resize(10);
  CHECK(budget.used() == 10);
  a.resize(150); // a reply larger than reserved is counted, not refused
  CHECK(budget.used() == 150);
  CHECK_FALSE(budget.try_charge(1));
}

TEST_CASE("given one frame larger than the budget, when nothing else is held, then it is charged "
          "the whole budget and the next waits") {
  ByteBudget budget(100);
  auto big = budget.try_charge(1000);
  REQUIRE(big);
  CHECK(big.bytes() == 100);
  CHECK_FALSE(budget.try_charge(1));
  auto part = std::move(big);
  part.absorb(ByteBudget::Charge{});
  CHECK(budget.used() == 100);
  part = {};
  CHECK(budget.used() == 0);
}
