#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/format/blob.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

Bytes text(std::size_t n) {
  static constexpr std::string_view k_words = "the quick brown fox jumps over the lazy dog ";
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(k_words[i % k_words.size()]);
  return b;
}

std::optional<Bytes> round_trip(const BlobCodec& codec, const Bytes& plain) {
  const BlobId id = codec.id_of(plain);
  return codec.open(BlobType::data, id, codec.seal(BlobType::data, id, plain));
}

} // namespace

TEST_SUITE_BEGIN("core::Blob");

TEST_CASE("given a blob id when formatted as hex and parsed back then it is unchanged") {
  BlobId id{};
  for (std::size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::string hex = blob_id_hex(id);
  CHECK(hex.size() == 64);
  CHECK(hex.substr(0, 6) == "030a11");
  CHECK(blob_id_from_hex(hex) == id);
  CHECK_FALSE(blob_id_from_hex(hex.substr(1)).has_value());
  CHECK_FALSE(blob_id_from_hex(hex + "00").has_value());
  CHECK_FALSE(blob_id_from_hex(std::string(63, '0') + "g").has_value());
}

TEST_CASE("given sizes when padding with Padmé then results are the published buckets") {
  CHECK(padded_size(0) == 0);
  CHECK(padded_size(5) == 5);
  CHECK(padded_size(9) == 10);
  CHECK(padded_size(100) == 104);
  CHECK(padded_size(1000) == 1024);
  CHECK(padded_size(1025) == 1088);
  CHECK(padded_size(1u << 20) == 1u << 20);
  CHECK(padded_size((1u << 20) + 1) == (1u << 20) + (1u << 15));
  for (std::size_t n = 2; n < 200000; n += 997) {
    const std::size_t p = padded_size(n);
    CHECK(p >= n);
    CHECK(p - n <= n / 8 + 1); // never more than ~12% overhead
    CHECK(padded_size(p) == p);
  }
}

TEST_CASE("given empty, small, compressible and incompressible data when sealed and opened "
          "then the plaintext comes back") {
  const BlobCodec codec(MasterKey::generate());
  CHECK(round_trip(codec, {}) == Bytes{});
  CHECK(round_trip(codec, Bytes{'x'}) == Bytes{'x'});
  const Bytes compressible = text(300000);
  CHECK(round_trip(codec, compressible) == compressible);
  const Bytes random = crypto::random_bytes(300000);
  CHECK(round_trip(codec, random) == random);
}

TEST_CASE("given compressible data when sealed then it is stored smaller than the plaintext, "
          "and random data grows only by header, padding and tag") {
  const BlobCodec codec(MasterKey::generate());
  const Bytes compressible = text(1u << 20);
  const Bytes sealed = codec.seal(BlobType::data, codec.id_of(compressible), compressible);
  CHECK(sealed.size() < compressible.size() / 10);

  const Bytes random = crypto::random_bytes(1u << 20);
  const Bytes sealed_random = codec.seal(BlobType::data, codec.id_of(random), random);
  CHECK(sealed_random.size() == padded_size(5 + random.size()) + crypto::k_seal_overhead);
}

TEST_CASE("given payloads of similar size when sealed then their sizes collapse to one bucket") {
  const BlobCodec codec(MasterKey::generate());
  const Bytes random = crypto::random_bytes(1000200);
  std::set<std::size_t> sizes;
  for (std::size_t n = 1000000; n <= 1000200; n += 10) {
    const ByteView plain = ByteView(random).first(n);
    sizes.insert(codec.seal(BlobType::data, codec.id_of(plain), plain).size());
  }
  CHECK(sizes.size() == 1);
}

TEST_CASE("given a sealed blob when opened with the wrong type, id or key then it fails") {
  const MasterKey key = MasterKey::generate();
  const BlobCodec codec(key);
  const Bytes plain = text(1000);
  const BlobId id = codec.id_of(plain);
  const Bytes sealed = codec.seal(BlobType::data, id, plain);
  CHECK(codec.open(BlobType::data, id, sealed).has_value());
  CHECK_FALSE(codec.open(BlobType::tree, id, sealed).has_value());
  BlobId other = id;
  other[31] ^= 1;
  CHECK_FALSE(codec.open(BlobType::data, other, sealed).has_value());
  CHECK_FALSE(BlobCodec(MasterKey::generate()).open(BlobType::data, id, sealed).has_value());
  CHECK_FALSE(codec.open(BlobType::data, id, ByteView(sealed).first(20)).has_value());
}

TEST_CASE("given a blob sealed under an id that is not its MAC when opened then it fails") {
  const BlobCodec codec(MasterKey::generate());
  const Bytes plain = text(100);
  const BlobId wrong = codec.id_of(text(101));
  const Bytes sealed = codec.seal(BlobType::data, wrong, plain);
  CHECK_FALSE(codec.open(BlobType::data, wrong, sealed).has_value());
}

TEST_CASE("given a small sealed blob when any single bit is flipped then open fails") {
  const BlobCodec codec(MasterKey::generate());
  const Bytes plain = crypto::random_bytes(150);
  const BlobId id = codec.id_of(plain);
  const Bytes sealed = codec.seal(BlobType::tree, id, plain);
  REQUIRE(sealed.size() > 180);
  REQUIRE(sealed.size() < 220);
  REQUIRE(codec.open(BlobType::tree, id, sealed) == plain);
  std::size_t opened = 0;
  Bytes bad = sealed;
  for (std::size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    if (codec.open(BlobType::tree, id, bad)) ++opened;
    bad[bit / 8] = sealed[bit / 8];
  }
  CHECK(opened == 0);
}

TEST_CASE("given two codecs with different keys used alternately on one thread when computing "
          "ids then each uses its own key") {
  const MasterKey a = MasterKey::generate();
  const MasterKey b = MasterKey::generate();
  const BlobCodec ca(a);
  const BlobCodec cb(b);
  const Bytes plain = text(500);
  const BlobId ia = ca.id_of(plain);
  const BlobId ib = cb.id_of(plain);
  CHECK(ia != ib);
  CHECK(ia == crypto::hmac_sha256(a.id_mac, plain));
  CHECK(ib == crypto::hmac_sha256(b.id_mac, plain));
  CHECK(ca.id_of(plain) == ia);
  // More distinct keys than the per-thread cache holds still give right answers.
  for (int i = 0; i < 6; ++i) {
    const MasterKey k = MasterKey::generate();
    CHECK(BlobCodec(k).id_of(plain) == crypto::hmac_sha256(k.id_mac, plain));
  }
  CHECK(cb.id_of(plain) == ib);
}

TEST_CASE("given a sealed blob when appended to a buffer then the prefix is kept and the "
          "appended part opens") {
  const BlobCodec codec(MasterKey::generate());
  const Bytes plain = text(5000);
  const BlobId id = codec.id_of(plain);
  Bytes out = {1, 2, 3};
  codec.seal_append(out, BlobType::data, id, plain);
  CHECK(out[0] == 1);
  CHECK(codec.open(BlobType::data, id, ByteView(out).subspan(3)) == plain);
}

TEST_CASE("given a plaintext above the blob limit when sealing then a usage error is thrown") {
  const BlobCodec codec(MasterKey::generate());
  const Bytes big(k_max_blob_size + 1);
  CHECK_THROWS_AS(codec.seal(BlobType::data, BlobId{}, big), Error);
}

TEST_SUITE_END();
