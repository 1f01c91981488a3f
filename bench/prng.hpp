#pragma once
// Deterministic pseudo-random numbers for the benchmark tree. The same seed
// must give the same tree on every run, so nothing here uses <random>'s
// distributions (their output is implementation-defined); the only libm
// calls (log, exp) give the same results for one build on one platform.
// SplitMix64 seeds and mixes; xoshiro256** (Blackman and Vigna) produces the
// bulk bytes at several GB/s, so generating a 2 GiB tree costs less than
// writing it.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace offsite::bench {

constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Derives an independent seed for a sub-stream (a file, a block, a phase):
// streams keyed by (seed, a) never overlap in practice.
constexpr std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t a) {
  std::uint64_t state = seed ^ (a * 0xd1342543de82ef95ULL);
  splitmix64(state);
  return splitmix64(state);
}

class Xoshiro256 {
public:
  explicit Xoshiro256(std::uint64_t seed) {
    for (auto& word : m_s)
      word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const std::uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
  }

  // Uniform in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n); the tiny modulo bias does not matter for a benchmark.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }

  std::uint64_t between(std::uint64_t low, std::uint64_t high) {
    return low + below(high - low + 1);
  }

  bool chance(double p) { return uniform() < p; }

  // Log-uniform in [low, high]: as many files of 4-8 KiB as of 32-64 MiB,
  // the shape file-size surveys report for real trees.
  std::uint64_t log_uniform(std::uint64_t low, std::uint64_t high) {
    if (high <= low) return low;
    const double l = std::log(static_cast<double>(low));
    const double h = std::log(static_cast<double>(high) + 1.0);
    const auto v = static_cast<std::uint64_t>(std::exp(l + uniform() * (h - l)));
    return v < low ? low : (v > high ? high : v);
  }

  void fill(std::span<char> out) {
    std::size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) {
      const std::uint64_t v = next();
      std::memcpy(out.data() + i, &v, 8);
    }
    if (i < out.size()) {
      const std::uint64_t v = next();
      std::memcpy(out.data() + i, &v, out.size() - i);
    }
  }

private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<std::uint64_t, 4> m_s{};
};

} // namespace offsite::bench
