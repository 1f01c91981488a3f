#include <doctest/doctest.h>

#include <chrono>

#include "transport/net/rate_limit.hpp"

using namespace offsite::transport;
using std::chrono::duration;

TEST_SUITE_BEGIN("transport::RateLimiter");

namespace {

double seconds_from(Deadline::Clock::time_point start, Deadline::Clock::time_point t) {
  return duration<double>(t - start).count();
}

} // namespace

TEST_CASE("given a 1 MiB/s limiter, when 10 MiB are reserved at once, then the last may pass "
          "about 10 s from now, less the burst") {
  RateLimiter limiter(1u << 20, std::chrono::milliseconds(50));
  const auto start = Deadline::Clock::now();
  Deadline::Clock::time_point last{};
  for (int i = 0; i < 10; ++i)
    last = limiter.reserve(1u << 20);
  const double at = seconds_from(start, last);
  CHECK(at > 9.94);
  CHECK(at < 9.96);
}

TEST_CASE("given an idle limiter, when a small piece is reserved, then it may pass at once: "
          "an idle bucket holds the burst allowance, no more") {
  RateLimiter limiter(1u << 20, std::chrono::milliseconds(50));
  const auto start = Deadline::Clock::now();
  // 32 KiB is 31.25 ms at 1 MiB/s: within the 50 ms allowance.
  CHECK(seconds_from(start, limiter.reserve(32u << 10)) <= 0.0);
  // The allowance is spent: 64 KiB more (62.5 ms) may pass 43.75 ms from now.
  const double at = seconds_from(start, limiter.reserve(64u << 10));
  CHECK(at > 0.0435);
  CHECK(at < 0.0445);
}

TEST_SUITE_END();
