#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }
std::string hex_of(ByteView b) { return to_hex(b); }

Bytes pattern(std::size_t n, std::uint8_t seed = 1) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(i * 31 + seed);
  return b;
}

} // namespace

TEST_SUITE_BEGIN("core::Crypto");

TEST_CASE("given known inputs when hashing with SHA-256 then the FIPS 180 vectors come out") {
  CHECK(hex_of(crypto::sha256(as_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_of(crypto::sha256({})) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("given data fed in pieces when using incremental SHA-256 then it equals the one-shot "
          "hash and the object is reusable") {
  const Bytes data = pattern(100000);
  crypto::Sha256 h;
  h.update(ByteView(data).first(1));
  h.update(ByteView(data).subspan(1, 4999));
  h.update(ByteView(data).subspan(5000));
  CHECK(h.finish() == crypto::sha256(data));
  h.update(as_bytes("abc"));
  CHECK(h.finish() == crypto::sha256(as_bytes("abc")));
}

TEST_CASE("given RFC 4231 inputs when computing HMAC-SHA-256 then the published tags come out") {
  CHECK(hex_of(crypto::hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const Bytes key(20, 0x0b);
  CHECK(hex_of(crypto::hmac_sha256(key, as_bytes("Hi There"))) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_CASE("given a reusable HMAC object when hashing many messages then each equals the one-shot "
          "MAC") {
  const Bytes key = pattern(32, 7);
  crypto::HmacSha256 mac(key);
  for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 4096u, 100000u}) {
    const Bytes data = pattern(n, static_cast<std::uint8_t>(n));
    CHECK(mac.mac(data) == crypto::hmac_sha256(key, data));
  }
  CHECK(crypto::HmacSha256({}).mac(as_bytes("x")) == crypto::hmac_sha256({}, as_bytes("x")));
  CHECK(mac.mac(as_bytes("a")) != crypto::HmacSha256(pattern(32, 8)).mac(as_bytes("a")));
}

TEST_CASE("given the RFC 7914 inputs when deriving with scrypt then the published key comes out") {
  const Bytes out =
      crypto::scrypt("password", as_bytes("NaCl"), crypto::ScryptParams{1024, 8, 16}, 64);
  CHECK(hex_of(out) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                       "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST_CASE("given invalid scrypt parameters when deriving then a usage error is thrown") {
  CHECK_THROWS_AS(crypto::scrypt("pw", as_bytes("salt"), crypto::ScryptParams{1000, 8, 1}, 32),
                  Error);
  CHECK_THROWS_AS(crypto::scrypt("pw", as_bytes("salt"), crypto::ScryptParams{1024, 0, 1}, 32),
                  Error);
  CHECK_THROWS_AS(crypto::scrypt("pw", as_bytes("salt"),
                                 crypto::ScryptParams{std::uint64_t{1} << 40, 8, 1}, 32),
                  Error);
}

TEST_CASE("given the GCM spec test case 16 when opening it then the known plaintext comes out") {
  const Bytes key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const Bytes aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const Bytes sealed = hex("cafebabefacedbaddecaf888"
                           "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                           "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
                           "76fc6ece0f4e1768cddf8853bb2d551b");
  const auto plain = crypto::open(key, sealed, aad);
  REQUIRE(plain.has_value());
  CHECK(hex_of(*plain) == "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                          "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
}

TEST_CASE("given plaintexts of many sizes when sealed and opened then they round-trip with "
          "nonce and tag overhead only") {
  const Bytes key = crypto::random_bytes(32);
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 1000u, 1u << 20}) {
    const Bytes plain = pattern(n);
    const Bytes sealed = crypto::seal(key, plain, as_bytes("aad"));
    CHECK(sealed.size() == n + crypto::k_seal_overhead);
    const auto opened = crypto::open(key, sealed, as_bytes("aad"));
    REQUIRE(opened.has_value());
    CHECK(*opened == plain);
  }
}

TEST_CASE("given the same plaintext sealed twice when comparing then nonces and ciphertexts "
          "differ") {
  const Bytes key = crypto::random_bytes(32);
  std::set<Bytes> nonces;
  for (int i = 0; i < 50; ++i) {
    const Bytes sealed = crypto::seal(key, as_bytes("same"), {});
    nonces.insert(Bytes(sealed.begin(), sealed.begin() + crypto::k_nonce_size));
  }
  CHECK(nonces.size() == 50);
}

TEST_CASE("given a sealed message when any byte is changed or the aad or key differ then open "
          "fails") {
  const Bytes key = crypto::random_bytes(32);
  const Bytes sealed = crypto::seal(key, as_bytes("attack at dawn"), as_bytes("ctx"));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    CHECK_FALSE(crypto::open(key, bad, as_bytes("ctx")).has_value());
  }
  CHECK_FALSE(crypto::open(key, sealed, as_bytes("ctX")).has_value());
  CHECK_FALSE(crypto::open(key, sealed, {}).has_value());
  CHECK_FALSE(crypto::open(crypto::random_bytes(32), sealed, as_bytes("ctx")).has_value());
  CHECK_FALSE(
      crypto::open(key, ByteView(sealed).first(sealed.size() - 1), as_bytes("ctx")).has_value());
  CHECK_FALSE(crypto::open(key, ByteView(sealed).first(27), as_bytes("ctx")).has_value());
  CHECK_FALSE(crypto::open(key, {}, as_bytes("ctx")).has_value());
  // The good message still opens after all those failures on the same thread.
  CHECK(crypto::open(key, sealed, as_bytes("ctx")).has_value());
}

TEST_CASE("given alternating keys on one thread when sealing and opening then each message "
          "opens only under its own key") {
  const Bytes a = crypto::random_bytes(32);
  const Bytes b = crypto::random_bytes(32);
  const Bytes sa = crypto::seal(a, as_bytes("for a"), {});
  const Bytes sb = crypto::seal(b, as_bytes("for b"), {});
  const Bytes sa2 = crypto::seal(a, as_bytes("for a again"), {});
  CHECK(as_string(crypto::open(a, sa, {}).value()) == "for a");
  CHECK(as_string(crypto::open(b, sb, {}).value()) == "for b");
  CHECK_FALSE(crypto::open(b, sa2, {}).has_value());
  CHECK(as_string(crypto::open(a, sa2, {}).value()) == "for a again");
}

TEST_CASE("given a non-empty output vector when sealing by append then the prefix is kept") {
  const Bytes key = crypto::random_bytes(32);
  Bytes out = {'h', 'd', 'r'};
  crypto::seal_append(out, key, as_bytes("payload"), {});
  REQUIRE(out.size() == 3 + 7 + crypto::k_seal_overhead);
  CHECK(out[0] == 'h');
  CHECK(out[2] == 'r');
  CHECK(as_string(crypto::open(key, ByteView(out).subspan(3), {}).value()) == "payload");
}

TEST_CASE("given several parts when sealed as one then it opens as their concatenation") {
  const Bytes key = crypto::random_bytes(32);
  const Bytes big = pattern(70000);
  const ByteView parts[] = {as_bytes("head:"), ByteView{}, big, as_bytes(":tail")};
  Bytes out;
  crypto::seal_append_parts(out, key, parts, as_bytes("x"));
  Bytes expected = Bytes{'h', 'e', 'a', 'd', ':'};
  expected.insert(expected.end(), big.begin(), big.end());
  for (char c : std::string_view(":tail"))
    expected.push_back(static_cast<std::uint8_t>(c));
  CHECK(crypto::open(key, out, as_bytes("x")).value() == expected);
}

TEST_CASE("given a streaming opener when reading in pieces then it yields the plaintext and "
          "verifies the tag, and a nested opener does not disturb it") {
  const Bytes key = crypto::random_bytes(32);
  const Bytes plain = pattern(1000);
  const Bytes sealed = crypto::seal(key, plain, as_bytes("a"));
  const Bytes other = crypto::seal(key, as_bytes("inner"), {});

  crypto::Opener outer(key, sealed, as_bytes("a"));
  REQUIRE(outer.valid());
  CHECK(outer.remaining() == 1000);
  Bytes got(1000);
  outer.read(std::span(got).first(10));
  {
    crypto::Opener inner(key, other, {});
    Bytes in(inner.remaining());
    inner.read(in);
    CHECK(inner.finish());
    CHECK(as_string(in) == "inner");
  }
  CHECK_FALSE(outer.finish()); // not everything read yet
}

TEST_CASE("given a streaming opener when reading everything then finish verifies once") {
  const Bytes key = crypto::random_bytes(32);
  const Bytes plain = pattern(1000);
  Bytes sealed = crypto::seal(key, plain, {});
  {
    crypto::Opener o(key, sealed, {});
    Bytes got(o.remaining());
    o.read(std::span(got).first(7));
    o.read(std::span(got).subspan(7));
    CHECK_THROWS_AS(o.read(std::span(got).first(1)), Error);
    CHECK(o.finish());
    CHECK(got == plain);
  }
  sealed.back() ^= 0x80;
  crypto::Opener bad(key, sealed, {});
  Bytes got(bad.remaining());
  bad.read(got);
  CHECK_FALSE(bad.finish());
  CHECK_FALSE(crypto::Opener(key, ByteView(sealed).first(5), {}).valid());
}

TEST_CASE("given byte strings when comparing in constant time then equality is exact") {
  CHECK(crypto::constant_time_equal(as_bytes("abc"), as_bytes("abc")));
  CHECK_FALSE(crypto::constant_time_equal(as_bytes("abc"), as_bytes("abd")));
  CHECK_FALSE(crypto::constant_time_equal(as_bytes("abc"), as_bytes("ab")));
  CHECK(crypto::constant_time_equal({}, {}));
}

TEST_CASE("given random_bytes when called twice then the outputs differ and have the size") {
  const Bytes a = crypto::random_bytes(32);
  const Bytes b = crypto::random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(a != b);
  CHECK(crypto::random_bytes(0).empty());
}

TEST_SUITE_END();
