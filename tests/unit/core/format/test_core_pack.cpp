#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/crypto/crypto.hpp"
#include "core/format/pack.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

crypto::Key make_key(std::uint8_t seed) {
  crypto::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(seed + i);
  return k;
}

BlobId make_id(std::uint32_t n) {
  BlobId id{};
  for (std::size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<std::uint8_t>(std::size_t{n} * 31 + i);
  id[0] = static_cast<std::uint8_t>(n);
  id[1] = static_cast<std::uint8_t>(n >> 8);
  return id;
}

Bytes fake_sealed(std::uint32_t n, std::size_t size) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i)
    b[i] = static_cast<std::uint8_t>(n + i * 13);
  return b;
}

// A pack with an arbitrary (forged) header sealed under `key`.
Bytes forge_pack(const crypto::Key& key, std::size_t blob_bytes,
                 const std::vector<PackEntry>& entries, std::uint8_t version = 1) {
  Bytes header{version};
  put_u32(header, static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries)
    put_pack_entry(header, e);
  Bytes pack(blob_bytes, 0xaa);
  const std::size_t before = pack.size();
  crypto::seal_append(pack, key, header, as_bytes("offsite-pack-header-v1"));
  put_u32(pack, static_cast<std::uint32_t>(pack.size() - before));
  return pack;
}

} // namespace

TEST_SUITE_BEGIN("core::Pack");

TEST_CASE("given blobs added to a builder, when finished, then the pack holds each at its entry "
          "and the header reads back") {
  const crypto::Key key = make_key(1);
  PackBuilder builder(key);
  std::map<BlobId, Bytes> sealed;
  for (std::uint32_t i = 0; i < 50; ++i) {
    Bytes s = fake_sealed(i, 28 + i * 17);
    sealed[make_id(i)] = s;
    builder.add(i % 3 ? BlobType::data : BlobType::tree, make_id(i), s, i * 10);
  }
  REQUIRE(builder.find(make_id(7)) != nullptr);
  CHECK(*builder.find(make_id(7)) == sealed[make_id(7)]);
  CHECK(builder.find(make_id(999)) == nullptr);
  CHECK(builder.count() == 50);

  const FinishedPack pack = builder.finish();
  CHECK(builder.empty());
  CHECK(builder.size() == 0);
  CHECK(pack.name == to_hex(crypto::sha256(pack.bytes)));
  REQUIRE(pack.entries.size() == 50);
  for (const PackEntry& e : pack.entries) {
    const std::uint32_t n = e.id[0] | static_cast<std::uint32_t>(e.id[1]) << 8;
    CHECK(e.raw_length == n * 10);
    CHECK(e.type == (n % 3 ? BlobType::data : BlobType::tree));
    CHECK(Bytes(pack.bytes.begin() + e.offset, pack.bytes.begin() + e.offset + e.length) ==
          sealed[e.id]);
  }

  const auto header = read_pack_header(key, pack.bytes, pack.bytes.size());
  REQUIRE(header);
  CHECK(header->size() == 50);
  for (std::size_t i = 0; i < header->size(); ++i) {
    CHECK((*header)[i].id == pack.entries[i].id);
    CHECK((*header)[i].offset == pack.entries[i].offset);
    CHECK((*header)[i].length == pack.entries[i].length);
  }

  // Only the tail is needed: the trailer says how much.
  const std::uint32_t hlen = get_u32(pack.bytes.data() + pack.bytes.size() - 4);
  const ByteView tail = ByteView(pack.bytes).last(hlen + k_pack_trailer_size);
  CHECK(read_pack_header(key, tail, pack.bytes.size()));
  CHECK_FALSE(read_pack_header(key, ByteView(pack.bytes).last(hlen), pack.bytes.size()));

  // The builder is reusable.
  builder.add(BlobType::data, make_id(1), fake_sealed(1, 40), 5);
  const FinishedPack second = builder.finish();
  CHECK(second.entries.size() == 1);
  CHECK(second.entries[0].offset == 0);
}

TEST_CASE(
    "given many blobs, when packed, then the order is shuffled and every permutation occurs") {
  const crypto::Key key = make_key(2);
  PackBuilder builder(key);
  for (std::uint32_t i = 0; i < 64; ++i)
    builder.add(BlobType::data, make_id(i), fake_sealed(i, 100), 1);
  const FinishedPack pack = builder.finish();
  std::vector<std::uint32_t> order;
  for (const auto& e : pack.entries)
    order.push_back(e.id[0]);
  CHECK_FALSE(std::is_sorted(order.begin(), order.end())); // 1 in 64! of failing by chance

  // Three blobs: all six orders show up over 600 packs (each expected 100 times).
  std::map<std::vector<std::uint32_t>, int> seen;
  for (int t = 0; t < 600; ++t) {
    for (std::uint32_t i = 0; i < 3; ++i)
      builder.add(BlobType::data, make_id(i), fake_sealed(i, 30), 1);
    std::vector<std::uint32_t> o;
    for (const auto& e : builder.finish().entries)
      o.push_back(e.id[0]);
    ++seen[o];
  }
  CHECK(seen.size() == 6);
  for (const auto& [o, n] : seen)
    CHECK(n > 40);
}

TEST_CASE(
    "given a pack, when its header is damaged or read with another key, then reading it fails") {
  const crypto::Key key = make_key(3);
  PackBuilder builder(key);
  for (std::uint32_t i = 0; i < 5; ++i)
    builder.add(BlobType::data, make_id(i), fake_sealed(i, 64), 1);
  const FinishedPack pack = builder.finish();
  CHECK_FALSE(read_pack_header(make_key(4), pack.bytes, pack.bytes.size()));

  const std::uint32_t hlen = get_u32(pack.bytes.data() + pack.bytes.size() - 4);
  const std::size_t header_start = pack.bytes.size() - 4 - hlen;
  for (std::size_t bit = header_start * 8; bit < pack.bytes.size() * 8; ++bit) {
    Bytes damaged = pack.bytes;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    CAPTURE(bit);
    CHECK_FALSE(read_pack_header(key, damaged, damaged.size()));
  }
  CHECK_FALSE(read_pack_header(key, ByteView(pack.bytes).first(3), 3));
  CHECK_FALSE(read_pack_header(key, ByteView(pack.bytes).first(pack.bytes.size() - 1),
                               pack.bytes.size() - 1));
}

TEST_CASE(
    "given forged headers sealed with the right key, when read, then invalid entries are refused") {
  const crypto::Key key = make_key(5);
  const BlobId id = make_id(1);
  auto read = [&](const Bytes& p) { return read_pack_header(key, p, p.size()); };

  CHECK(read(
      forge_pack(key, 200, {{BlobType::data, id, 0, 100, 1}, {BlobType::tree, id, 100, 100, 1}})));
  CHECK(read(forge_pack(key, 0, {})));
  // Overlapping blobs.
  CHECK_FALSE(read(
      forge_pack(key, 200, {{BlobType::data, id, 0, 101, 1}, {BlobType::data, id, 100, 100, 1}})));
  // A blob reaching into the header.
  CHECK_FALSE(read(forge_pack(key, 200, {{BlobType::data, id, 150, 51, 1}})));
  // Offset + length overflowing 32 bits.
  CHECK_FALSE(read(forge_pack(key, 200, {{BlobType::data, id, 0xffffff00u, 0x200, 1}})));
  // Shorter than any sealed blob.
  CHECK_FALSE(read(forge_pack(key, 200, {{BlobType::data, id, 0, 27, 1}})));
  // Unknown type and unknown version.
  CHECK_FALSE(read(forge_pack(key, 200, {{static_cast<BlobType>(7), id, 0, 100, 1}})));
  CHECK_FALSE(read(forge_pack(key, 200, {{BlobType::data, id, 0, 100, 1}}, 2)));
}

TEST_CASE("given pack entries, when encoded and decoded, then they round-trip") {
  PackEntry e{BlobType::tree, make_id(9), 0x01020304, 0x0a0b0c0d, 77};
  Bytes out;
  put_pack_entry(out, e);
  REQUIRE(out.size() == k_pack_entry_size);
  CHECK(out[33] == 0x04); // little-endian
  auto back = get_pack_entry(out.data());
  REQUIRE(back);
  CHECK(back->type == e.type);
  CHECK(back->id == e.id);
  CHECK(back->offset == e.offset);
  CHECK(back->length == e.length);
  CHECK(back->raw_length == e.raw_length);
  out[0] = 0;
  CHECK_FALSE(get_pack_entry(out.data()));
}

TEST_SUITE_END();
