#include <doctest/doctest.h>

#include <cstring>
#include <set>
#include <vector>

#include "core/backup/chunker.hpp"
#include "core/common/error.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

// Deterministic pseudo-random bytes (splitmix64), so these tests never flake.
Bytes pseudo_random(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < n; i += 8) {
    x += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t k = 0; k < 8 && i + k < n; ++k)
      out[i + k] = static_cast<std::uint8_t>(z >> (8 * k));
  }
  return out;
}

crypto::Key secret(std::uint8_t seed) {
  crypto::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(seed + i * 13);
  return k;
}

// Chunk lengths of the whole buffer, as a caller at end of file would cut it.
std::vector<std::size_t> chunk_all(const Chunker& c, ByteView data) {
  std::vector<std::size_t> sizes;
  while (!data.empty()) {
    const std::size_t n = c.next_boundary(data, true);
    if (n == 0 || n > data.size()) FAIL("next_boundary at end of file returned " << n);
    sizes.push_back(n);
    data = data.subspan(n);
  }
  return sizes;
}

std::set<crypto::Hash> chunk_hashes(const Chunker& c, ByteView data) {
  std::set<crypto::Hash> hashes;
  for (const std::size_t n : chunk_all(c, data)) {
    hashes.insert(crypto::sha256(data.first(n)));
    data = data.subspan(n);
  }
  return hashes;
}

// Small sizes so that tests see hundreds of chunks in a few MiB.
const ChunkerParams k_small{std::size_t{2} << 10, std::size_t{8} << 10, std::size_t{64} << 10};

} // namespace

TEST_SUITE_BEGIN("core::Chunker");

TEST_CASE("given the same secret and data when chunking twice then the boundaries are equal") {
  const Bytes data = pseudo_random(4u << 20, 1);
  CHECK(chunk_all(Chunker(secret(1), k_small), data) ==
        chunk_all(Chunker(secret(1), k_small), data));
}

TEST_CASE("given different secrets when chunking the same data then the boundaries differ") {
  const Bytes data = pseudo_random(4u << 20, 2);
  const auto a = chunk_all(Chunker(secret(1), k_small), data);
  const auto b = chunk_all(Chunker(secret(2), k_small), data);
  CHECK(a != b);
  // Not just a shifted copy: most cut positions differ.
  std::set<std::size_t> cuts_a;
  std::size_t pos = 0;
  for (auto n : a)
    cuts_a.insert(pos += n);
  std::size_t shared = 0;
  pos = 0;
  for (auto n : b)
    shared += cuts_a.count(pos += n);
  CHECK(shared < b.size() / 4);
}

TEST_CASE("given random data when chunked then every chunk but the last is within [min, max] "
          "and the mean is near the average") {
  const Bytes data = pseudo_random(16u << 20, 3);
  const Chunker c(secret(3), k_small);
  const auto sizes = chunk_all(c, data);
  REQUIRE(sizes.size() > 100);
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    CHECK(sizes[i] >= k_small.min_size);
    CHECK(sizes[i] <= k_small.max_size);
  }
  CHECK(sizes.back() <= k_small.max_size);
  const double mean = static_cast<double>(data.size()) / static_cast<double>(sizes.size());
  CHECK(mean > 0.75 * static_cast<double>(k_small.avg_size));
  CHECK(mean < 1.5 * static_cast<double>(k_small.avg_size));
}

TEST_CASE("given the default sizes and 64 MiB of random data when one byte is inserted in the "
          "middle then at most two chunks change") {
  // One buffer with a spare byte at the end; the insertion is done in place,
  // which keeps this test from spending its time on copying 64 MiB around.
  const std::size_t size = 64u << 20;
  Bytes data = pseudo_random(size + 1, 4);
  const Chunker c(secret(4), ChunkerParams{});
  const auto before = chunk_hashes(c, ByteView(data).first(size));
  CHECK(before.size() > 30);
  CHECK(before.size() < 130);

  const std::size_t mid = size / 2;
  std::memmove(data.data() + mid + 1, data.data() + mid, size - mid);
  data[mid] = 0x5a;
  std::size_t changed = 0;
  for (const auto& h : chunk_hashes(c, data))
    changed += before.count(h) == 0 ? 1 : 0;
  CHECK(changed >= 1);
  CHECK(changed <= 2);
}

TEST_CASE("given small sizes when one byte is inserted at many places then at most two chunks "
          "change each time") {
  const Bytes data = pseudo_random(2u << 20, 5);
  const Chunker c(secret(5), k_small);
  const auto before = chunk_hashes(c, data);
  for (std::size_t at = 1000; at < data.size(); at += 99991) {
    Bytes edited = data;
    edited.insert(edited.begin() + static_cast<std::ptrdiff_t>(at), 0xa5);
    std::size_t changed = 0;
    for (const auto& h : chunk_hashes(c, edited))
      changed += before.count(h) == 0 ? 1 : 0;
    CHECK(changed <= 2);
  }
}

TEST_CASE("given fewer bytes than needed and no end of file when asking for a boundary then it "
          "returns 0") {
  const Chunker c(secret(6), k_small);
  const Bytes data = pseudo_random(k_small.max_size, 6);
  CHECK(c.next_boundary({}, false) == 0);
  CHECK(c.next_boundary({}, true) == 0);
  CHECK(c.next_boundary(ByteView(data).first(k_small.min_size), false) == 0);
  CHECK(c.next_boundary(ByteView(data).first(100), true) == 100);
  // A prefix ending before the first cut cannot be decided without more bytes.
  const std::size_t first = c.next_boundary(data, true);
  REQUIRE(first > k_small.min_size + 1);
  CHECK(c.next_boundary(ByteView(data).first(first - 1), false) == 0);
  CHECK(c.next_boundary(ByteView(data).first(first - 1), true) == first - 1);
  CHECK(c.next_boundary(ByteView(data).first(first), false) == first);
}

TEST_CASE("given data without any cut point when chunked then chunks are cut at max_size") {
  const Chunker c(secret(7), k_small);
  // A constant byte keeps the gear hash cycling through a few values; with
  // a top-bits mask it practically never hits zero, so max_size applies.
  const Bytes zeros(3 * k_small.max_size + 10, 0);
  const auto sizes = chunk_all(c, zeros);
  REQUIRE(!sizes.empty());
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i)
    CHECK(sizes[i] <= k_small.max_size);
  CHECK(c.next_boundary(ByteView(zeros).first(k_small.max_size + 5), false) <= k_small.max_size);
  CHECK(c.next_boundary(ByteView(zeros).first(k_small.max_size + 5), false) > 0);
}

TEST_CASE("given input arriving in small reads when chunked as a stream then the chunks equal "
          "chunking the whole buffer") {
  const Bytes data = pseudo_random(3u << 20, 8);
  const Chunker c(secret(8), k_small);
  const auto whole = chunk_all(c, data);

  std::vector<std::size_t> streamed;
  std::size_t start = 0;
  std::size_t have = 0; // bytes read so far
  const std::size_t read_size = 10007;
  while (start < data.size()) {
    const bool eof = have == data.size();
    const std::size_t n = c.next_boundary(ByteView(data).subspan(start, have - start), eof);
    if (n == 0) {
      REQUIRE_FALSE(eof);
      have = std::min(data.size(), have + read_size);
      continue;
    }
    streamed.push_back(n);
    start += n;
  }
  CHECK(streamed == whole);
}

TEST_CASE("given invalid sizes when constructing a chunker then a usage error is thrown") {
  const auto code = [](ChunkerParams p) {
    try {
      Chunker c(secret(9), p);
    } catch (const Error& e) {
      return e.code();
    }
    return Code::generic;
  };
  CHECK(code({1024, 3000, 8192}) == Code::usage);  // avg not a power of two
  CHECK(code({4096, 4096, 8192}) == Code::usage);  // min == avg
  CHECK(code({1024, 4096, 4096}) == Code::usage);  // avg == max
  CHECK(code({8192, 4096, 16384}) == Code::usage); // min > avg
  CHECK(code({1024, 4096, 16384}) == Code::generic);
  CHECK(Chunker(secret(9)).params().avg_size == 1024 * 1024);
}

TEST_SUITE_END();
