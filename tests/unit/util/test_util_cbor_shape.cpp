#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "util/cbor_shape.hpp"

using offsite::util::is_shallow_cbor;
using Bytes = std::vector<std::uint8_t>;

TEST_SUITE_BEGIN("util::cbor_shape");

namespace {

Bytes nested_arrays(std::size_t depth) {
  Bytes b(depth, 0x81); // each an array of one item
  b.push_back(0x00);
  return b;
}

} // namespace

TEST_CASE("given one well-formed item, when checked, then it passes") {
  CHECK(is_shallow_cbor(Bytes{0x00}, 4));
  CHECK(is_shallow_cbor(Bytes{0xa1, 0x61, 'k', 0x43, 1, 2, 3}, 4)); // {"k": h'010203'}
  CHECK(is_shallow_cbor(Bytes{0x1b, 0, 0, 0, 0, 0, 0, 0, 1}, 4));   // a 64-bit integer
  CHECK(is_shallow_cbor(Bytes{0x80}, 1));                           // [] is one container deep
  CHECK_FALSE(is_shallow_cbor(Bytes{0x80}, 0));                     // so a limit of 0 refuses it
}

TEST_CASE("given nesting at and beyond the limit, when checked, then only the limit passes") {
  CHECK(is_shallow_cbor(nested_arrays(8), 8));
  CHECK_FALSE(is_shallow_cbor(nested_arrays(9), 8));
  CHECK_FALSE(is_shallow_cbor(nested_arrays(1'000'000), 32)); // iterative: no stack overflow
}

TEST_CASE("given malformed or unsupported CBOR, when checked, then it fails") {
  CHECK_FALSE(is_shallow_cbor(Bytes{}, 4));                             // nothing
  CHECK_FALSE(is_shallow_cbor(Bytes{0x00, 0x00}, 4));                   // two items
  CHECK_FALSE(is_shallow_cbor(Bytes{0x82, 0x00}, 4));                   // an array missing an item
  CHECK_FALSE(is_shallow_cbor(Bytes{0x9f, 0xff}, 4));                   // indefinite length
  CHECK_FALSE(is_shallow_cbor(Bytes{0xc1, 0x00}, 4));                   // a tag
  CHECK_FALSE(is_shallow_cbor(Bytes{0x1c}, 4));                         // reserved additional info
  CHECK_FALSE(is_shallow_cbor(Bytes{0x5a, 0xff, 0xff, 0xff, 0xff}, 4)); // length past the end
  CHECK_FALSE(is_shallow_cbor(Bytes{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 4));
  CHECK_FALSE(is_shallow_cbor(Bytes{0x19, 0x01}, 4)); // a truncated argument
}

TEST_SUITE_END();

TEST_CASE("is_shallow_cbor: bounds the number of values") {
  const Bytes three_empty = {0x83, 0x80, 0x80, 0x80}; // [[], [], []]: four values
  CHECK(is_shallow_cbor(three_empty, 4, 4));
  CHECK_FALSE(is_shallow_cbor(three_empty, 4, 3));
  CHECK(is_shallow_cbor(three_empty, 4)); // no bound by default
}
