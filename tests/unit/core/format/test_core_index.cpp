#include <doctest/doctest.h>

#include <thread>

#include "core/common/error.hpp"
#include "core/format/index.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

BlobId make_id(std::uint32_t n) {
  BlobId id{};
  for (std::size_t i = 0; i < 4; ++i)
    id[i] = static_cast<std::uint8_t>(n >> (8 * i));
  id[31] = 0x5a;
  return id;
}

std::string pack_name(char c) { return std::string(64, c); }

std::vector<IndexedPack> sample() {
  std::vector<IndexedPack> packs;
  for (std::uint32_t p = 0; p < 3; ++p) {
    IndexedPack ip{pack_name(static_cast<char>('a' + p)), {}};
    for (std::uint32_t i = 0; i < 5; ++i)
      ip.entries.push_back(
          {i % 2 ? BlobType::data : BlobType::tree, make_id(p * 100 + i), i * 100, 100, i * 7});
    packs.push_back(ip);
  }
  return packs;
}

void expect_integrity(ByteView data) {
  try {
    decode_index(data);
    FAIL("accepted a malformed index");
  } catch (const Error& e) {
    CHECK(e.code() == Code::integrity);
  }
}

} // namespace

TEST_SUITE_BEGIN("core::Index");

TEST_CASE(
    "given packs added to an index, when blobs are looked up, then each is found at its place") {
  Index index;
  for (const auto& p : sample())
    index.add_pack(p.name, p.entries);
  CHECK(index.blob_count() == 15);
  CHECK(index.packs().size() == 3);
  auto loc = index.find(make_id(203));
  REQUIRE(loc);
  CHECK(loc->pack == pack_name('c'));
  CHECK(loc->type == BlobType::data);
  CHECK(loc->offset == 300);
  CHECK(loc->length == 100);
  CHECK(loc->raw_length == 21);
  CHECK(index.contains(make_id(0)));
  CHECK_FALSE(index.contains(make_id(5)));
  CHECK_FALSE(index.find(make_id(5)));
}

TEST_CASE("given a blob in two packs, when indexed, then the first location is kept and packs are "
          "not duplicated") {
  Index index;
  index.add_pack(pack_name('a'), {{BlobType::data, make_id(1), 0, 50, 1}});
  index.add_pack(pack_name('b'), {{BlobType::data, make_id(1), 10, 60, 1}});
  index.add_pack(pack_name('a'), {{BlobType::data, make_id(1), 0, 50, 1}});
  CHECK(index.packs().size() == 2);
  CHECK(index.blob_count() == 1);
  CHECK(index.find(make_id(1))->pack == pack_name('a'));
}

TEST_CASE("given a blob in two packs, when the first pack is removed, then the copy takes its "
          "place and only blobs without a copy become absent") {
  Index index;
  index.add_pack(pack_name('a'),
                 {{BlobType::data, make_id(1), 0, 50, 1}, {BlobType::data, make_id(2), 50, 50, 1}});
  index.add_pack(pack_name('b'), {{BlobType::data, make_id(1), 10, 60, 1}});
  index.add_pack(pack_name('b'), {{BlobType::data, make_id(1), 10, 60, 1}});
  REQUIRE(index.find_all(make_id(1)).size() == 2);
  CHECK(index.find_all(make_id(9)).empty());

  CHECK(index.remove_packs({pack_name('a')}) == 1);
  CHECK_FALSE(index.contains(make_id(2)));
  const auto loc = index.find(make_id(1));
  REQUIRE(loc);
  CHECK(loc->pack == pack_name('b'));
  CHECK(loc->offset == 10);
  CHECK(index.find_all(make_id(1)).size() == 1);
  CHECK(index.packs() == std::vector<std::string>{pack_name('b')});
  // Added again (found again in the store): it is back.
  index.add_pack(pack_name('a'), {{BlobType::data, make_id(2), 50, 50, 1}});
  CHECK(index.contains(make_id(2)));
  CHECK(index.packs().size() == 2);
}

TEST_CASE("given an index, when encoded and decoded, then every pack and entry round-trips") {
  const auto packs = sample();
  const Bytes data = encode_index(packs);
  CHECK(data.size() == 5 + 3 * (32 + 4 + 5 * k_pack_entry_size));
  CHECK(data[0] == 1);
  const auto back = decode_index(data);
  REQUIRE(back.size() == packs.size());
  for (std::size_t p = 0; p < packs.size(); ++p) {
    CHECK(back[p].name == packs[p].name);
    REQUIRE(back[p].entries.size() == packs[p].entries.size());
    for (std::size_t i = 0; i < packs[p].entries.size(); ++i) {
      CHECK(back[p].entries[i].id == packs[p].entries[i].id);
      CHECK(back[p].entries[i].type == packs[p].entries[i].type);
      CHECK(back[p].entries[i].offset == packs[p].entries[i].offset);
      CHECK(back[p].entries[i].raw_length == packs[p].entries[i].raw_length);
    }
  }
  CHECK(decode_index(encode_index({})).empty());
  CHECK_THROWS_AS(encode_index({{"not-hex", {}}}), Error);
  CHECK_THROWS_AS(encode_index({{std::string(64, 'A'), {}}}), Error);
}

TEST_CASE("given an encoded index, when truncated or altered anywhere, then decoding throws an "
          "integrity error") {
  const Bytes data = encode_index(sample());
  for (std::size_t n = 0; n < data.size(); ++n) {
    CAPTURE(n);
    expect_integrity(ByteView(data).first(n));
  }
  Bytes trailing = data;
  trailing.push_back(0);
  expect_integrity(trailing);
  Bytes version = data;
  version[0] = 2;
  expect_integrity(version);
  Bytes type = data;
  type[5 + 32 + 4] = 9; // first entry's type
  expect_integrity(type);
  Bytes huge = data;
  put_u32(huge, 0);                             // placeholder so the vector is long enough
  huge[1] = huge[2] = huge[3] = huge[4] = 0xff; // 4 billion packs claimed
  expect_integrity(huge);
  Bytes huge_entries = data;
  for (std::size_t i = 0; i < 4; ++i)
    huge_entries[5 + 32 + i] = 0xff;
  expect_integrity(huge_entries);
}

TEST_CASE("given readers and writers on several threads, then every added blob is found") {
  Index index;
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::uint32_t p = 0; p < 50; ++p) {
        std::vector<PackEntry> entries;
        for (std::uint32_t i = 0; i < 10; ++i)
          entries.push_back({BlobType::data, make_id(t * 100000 + p * 100 + i), i, 1, 1});
        index.add_pack(std::string(62, 'a') + std::to_string(t) + std::to_string(p % 10), entries);
        for (const auto& e : entries)
          CHECK(index.contains(e.id));
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(index.blob_count() == 4 * 50 * 10);
}

TEST_SUITE_END();
