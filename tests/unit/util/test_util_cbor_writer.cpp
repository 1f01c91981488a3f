#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "util/cbor_writer.hpp"

using namespace offsite;
using nlohmann::json;

TEST_SUITE_BEGIN("util::CborWriter");

TEST_CASE("given integers at every head size boundary then the bytes are nlohmann's") {
  const std::uint64_t unsigned_values[] = {0,
                                           23,
                                           24,
                                           255,
                                           256,
                                           65535,
                                           65536,
                                           0xffffffffULL,
                                           1ULL << 32,
                                           UINT64_MAX,
                                           1'700'000'000'123'456'789ULL};
  for (const auto v : unsigned_values) {
    util::CborWriter w;
    w.unsigned_int(v);
    CHECK_MESSAGE(w.take() == json::to_cbor(json(v)), v);
  }
  const std::int64_t signed_values[] = {0,
                                        1,
                                        -1,
                                        -24,
                                        -25,
                                        -256,
                                        -257,
                                        -65536,
                                        -65537,
                                        std::numeric_limits<std::int64_t>::min(),
                                        std::numeric_limits<std::int64_t>::max(),
                                        -1'000'000'000'000LL};
  for (const auto v : signed_values) {
    util::CborWriter w;
    w.signed_int(v);
    CHECK_MESSAGE(w.take() == json::to_cbor(json(v)), v);
  }
}

TEST_CASE("given strings, byte strings, arrays, maps and booleans then the bytes are nlohmann's") {
  for (const std::size_t n : {0u, 23u, 24u, 255u, 256u, 70000u}) {
    const std::string text(n, 'a');
    util::CborWriter w;
    w.text(text);
    CHECK(w.take() == json::to_cbor(json(text)));
    util::CborWriter b;
    b.bytes(std::string_view(text));
    CHECK(b.take() ==
          json::to_cbor(json::binary(std::vector<std::uint8_t>(text.begin(), text.end()))));
  }
  util::CborWriter w;
  w.map(2);
  w.text("a");
  w.array(3);
  w.boolean(true);
  w.boolean(false);
  w.signed_int(-5);
  w.text("b");
  w.map(0);
  CHECK(w.take() == json::to_cbor(json{{"a", {true, false, -5}}, {"b", json::object()}}));
}

TEST_SUITE_END();
