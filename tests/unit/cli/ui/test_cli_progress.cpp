#include <doctest/doctest.h>

#include <cstdint>

#include "cli/ui/progress.hpp"

using offsite::cli::eta_text;
using offsite::cli::SmoothedRate;

TEST_SUITE_BEGIN("cli::progress");

namespace {
constexpr std::uint64_t k_mib = 1024 * 1024;
} // namespace

TEST_CASE("given a fast start when time goes on then the rate follows the recent speed") {
  // 100 MiB from cache in the first second, then 10 MiB/s for 40 s.
  SmoothedRate rate;
  CHECK(rate.update(1.0, 100 * k_mib) == doctest::Approx(100.0 * k_mib));
  double now = 0;
  std::uint64_t bytes = 100 * k_mib;
  for (int step = 1; step <= 160; ++step) {
    bytes += 10 * k_mib / 4;
    now = rate.update(1.0 + step * 0.25, bytes);
  }
  // The plain average would still say 100 MiB + 400 MiB over 41 s = 12.2 MiB/s.
  CHECK(now < 10.5 * k_mib);
  CHECK(now > 9.5 * k_mib);
}

TEST_CASE("given samples in the warm-up when updating then the rate is the plain average") {
  SmoothedRate rate;
  CHECK(rate.update(0.5, 5 * k_mib) == doctest::Approx(10.0 * k_mib));
  CHECK(rate.update(2.0, 10 * k_mib) == doctest::Approx(5.0 * k_mib));
}

TEST_CASE("given a step back in time when updating then the rate stays as it was") {
  SmoothedRate rate;
  rate.update(3.0, 30 * k_mib);
  const double before = rate.update(4.0, 40 * k_mib);
  CHECK(rate.update(4.0, 50 * k_mib) == doctest::Approx(before));
}

TEST_CASE("given the first seconds or little work done when estimating then there is no ETA") {
  // 16 % done after 1.6 s at 467 MiB/s: the start the issue saw ("ETA 0s").
  CHECK(eta_text(16, 100, 467.0 * k_mib, 1.6) == "");
  CHECK(eta_text(1, 100, 1.0, 60.0) == ""); // 1 % done
  CHECK(eta_text(50, 100, 10.0, 5.0) == " ETA 5s");
  CHECK(eta_text(100, 100, 10.0, 5.0) == "");
  CHECK(eta_text(50, 100, 0.0, 5.0) == "");
}

TEST_SUITE_END();
