#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/cbor_reader.hpp"
#include "util/cbor_writer.hpp"

using namespace offsite;
using nlohmann::json;

TEST_SUITE_BEGIN("util::CborReader");

TEST_CASE("given integers at every head size boundary then each reads back") {
  const std::uint64_t values[] = {0,     23,    24,         255,        256,
                                  65535, 65536, 0xffffffff, 1ULL << 32, UINT64_MAX};
  for (const std::uint64_t v : values) {
    util::CborWriter w;
    w.unsigned_int(v);
    const std::vector<std::uint8_t> bytes = w.take();
    util::CborReader r(bytes);
    const auto h = r.head();
    REQUIRE(h);
    CHECK(h->major == 0);
    CHECK(h->argument == v);
    CHECK(r.at_end());
    // Every shorter prefix is cut short, never read past.
    for (std::size_t n = 0; n < bytes.size(); ++n)
      CHECK_FALSE(util::CborReader(std::span(bytes).first(n)).head());
  }
}

TEST_CASE("given strings and containers then skip passes exactly one item") {
  const std::vector<std::uint8_t> bytes =
      json::to_cbor(json{{"a", json::array({1, -2, "x", nullptr, true, 1.5})}, {"b", {{"c", 3}}}});
  util::CborReader r(bytes);
  CHECK(r.skip(3));
  CHECK(r.at_end());
  util::CborReader shallow(bytes);
  CHECK_FALSE(shallow.skip(1)); // the map holds an array: two levels
  std::vector<std::uint8_t> text = json::to_cbor(json("key"));
  util::CborReader t(text);
  CHECK(t.text() == "key");
  CHECK_FALSE(util::CborReader(json::to_cbor(json(5))).text());
}

TEST_CASE("given what the formats never write then reading fails") {
  SUBCASE("a tag") { CHECK_FALSE(util::CborReader(std::vector<std::uint8_t>{0xc1, 0x00}).skip(4)); }
  SUBCASE("an indefinite length") {
    CHECK_FALSE(util::CborReader(std::vector<std::uint8_t>{0x9f, 0xff}).skip(4));
  }
  SUBCASE("a reserved additional information") {
    CHECK_FALSE(util::CborReader(std::vector<std::uint8_t>{0x1c}).head());
  }
  SUBCASE("undefined and unassigned simple values") {
    for (const int b : {0xf7, 0xe0, 0xf3})
      CHECK_FALSE(
          util::CborReader(std::vector<std::uint8_t>{static_cast<std::uint8_t>(b)}).skip(4));
    CHECK_FALSE(util::CborReader(std::vector<std::uint8_t>{0xf8, 0x20}).skip(4));
  }
  SUBCASE("a string longer than the bytes present") {
    CHECK_FALSE(util::CborReader(std::vector<std::uint8_t>{0x43, 'a', 'b'}).skip(4));
  }
  SUBCASE("an array of more items than bytes") {
    CHECK_FALSE(
        util::CborReader(std::vector<std::uint8_t>{0x9a, 0xff, 0xff, 0xff, 0xff, 0x00}).skip(4));
  }
}

TEST_SUITE_END();
