// Pack files: many sealed blobs in one stored object.
//
// Byte layout (all integers little-endian):
//
//   [sealed blob]...[sealed blob]      in a random order (see below)
//   [sealed header]                    crypto::seal(encryption key, header,
//                                      aad = "offsite-pack-header-v1")
//   [u32 sealed header length]
//
//   header = [u8 version = 1][u32 count]
//            count x [u8 type][32 id][u32 offset][u32 length][u32 raw_length]
//
//   name   = hex SHA-256 of the whole pack
//
// Why this shape:
// - A store holds a few thousand large objects instead of millions of small
//   ones; a restore fetches one blob with a ranged get (offset, length from
//   the index) and never needs the header.
// - Blobs are shuffled with an unbiased Fisher-Yates permutation drawn from
//   the CSPRNG, so the order inside a pack does not mirror the order of the
//   chunks in a file: with padded sizes, an observer of the pack cannot line
//   the sealed lengths up into the chunk-size sequence that published attacks
//   use to fingerprint file contents.
// - The header is sealed (fresh random nonce) so blob IDs, types and raw
//   lengths are secret; it sits at the end so the builder streams blobs
//   first and a reader finds it from the pack's size alone. Each blob is
//   sealed on its own (its AAD binds type and ID, see blob.cpp), so the
//   header adds no trust: it only lets `check` and an index rebuild find
//   blobs without the index.
// - The name is the hash of the bytes: a store that swaps or damages a pack
//   is caught when the whole pack is read, and a ranged read is caught by the
//   blob's own authentication tag.
// - read_pack_header validates every entry (known type, inside the blob
//   region, no overlaps) so a forged header cannot send a reader off the end
//   of the pack; only then are the entries returned.
#include "core/format/pack.hpp"

#include <algorithm>
#include <limits>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"

namespace offsite::core {

namespace {

constexpr std::uint8_t k_header_version = 1;
constexpr std::size_t k_header_fixed = 1 + 4;
constexpr std::string_view k_header_aad = "offsite-pack-header-v1";

// Unbiased random permutation of [0, n): Fisher-Yates with rejection
// sampling, so every index is drawn from exactly uniform bits.
std::vector<std::size_t> random_permutation(std::size_t n) {
  std::vector<std::size_t> perm(n);
  for (std::size_t i = 0; i < n; ++i)
    perm[i] = i;
  if (n < 2) return perm;
  std::vector<std::uint64_t> pool;
  std::size_t next = 0;
  auto draw = [&]() -> std::uint64_t {
    if (next == pool.size()) {
      pool.assign(std::max<std::size_t>(n, 16), 0);
      crypto::random_fill({reinterpret_cast<std::uint8_t*>(pool.data()), pool.size() * 8});
      next = 0;
    }
    return pool[next++];
  };
  for (std::size_t i = n - 1; i > 0; --i) {
    const std::uint64_t bound = static_cast<std::uint64_t>(i) + 1;
    // Largest multiple of bound that fits; values at or above it are biased.
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t r;
    do
      r = draw();
    while (r >= limit);
    std::swap(perm[i], perm[static_cast<std::size_t>(r % bound)]);
  }
  return perm;
}

bool known_type(std::uint8_t t) {
  return t == static_cast<std::uint8_t>(BlobType::data) ||
         t == static_cast<std::uint8_t>(BlobType::tree);
}

} // namespace

void put_pack_entry(Bytes& out, const PackEntry& entry) {
  out.push_back(static_cast<std::uint8_t>(entry.type));
  out.insert(out.end(), entry.id.begin(), entry.id.end());
  put_u32(out, entry.offset);
  put_u32(out, entry.length);
  put_u32(out, entry.raw_length);
}

std::optional<PackEntry> get_pack_entry(const std::uint8_t* p) {
  if (!known_type(p[0])) return std::nullopt;
  PackEntry e;
  e.type = static_cast<BlobType>(p[0]);
  std::copy(p + 1, p + 33, e.id.begin());
  e.offset = get_u32(p + 33);
  e.length = get_u32(p + 37);
  e.raw_length = get_u32(p + 41);
  return e;
}

PackBuilder::PackBuilder(const crypto::Key& encryption_key) : m_key(encryption_key) {}

void PackBuilder::add(BlobType type, const BlobId& id, Bytes sealed, std::uint32_t raw_length) {
  // Offsets are u32: leave room for the header of a pack this large.
  constexpr std::size_t k_max_pack = std::numeric_limits<std::uint32_t>::max() / 2;
  if (sealed.size() > k_max_pack - m_bytes)
    throw Error(Code::usage, "a pack would exceed 2 GiB", "use a smaller pack size");
  m_bytes += sealed.size();
  m_blobs.push_back({type, id, std::move(sealed), raw_length});
}

const Bytes* PackBuilder::find(const BlobId& id) const {
  for (const Pending& p : m_blobs)
    if (p.id == id) return &p.sealed;
  return nullptr;
}

std::vector<PackBuilder::Pending> PackBuilder::take() {
  std::vector<Pending> blobs;
  blobs.swap(m_blobs);
  m_bytes = 0;
  return blobs;
}

FinishedPack PackBuilder::assemble(const crypto::Key& encryption_key, std::vector<Pending> blobs) {
  const std::vector<std::size_t> order = random_permutation(blobs.size());
  FinishedPack pack;
  pack.entries.reserve(blobs.size());

  Bytes header;
  header.reserve(k_header_fixed + blobs.size() * k_pack_entry_size);
  header.push_back(k_header_version);
  put_u32(header, static_cast<std::uint32_t>(blobs.size()));

  std::size_t total = 0;
  for (const Pending& p : blobs)
    total += p.sealed.size();
  pack.bytes.reserve(total + header.capacity() + crypto::k_seal_overhead + 4);
  for (std::size_t i : order) {
    Pending& p = blobs[i];
    PackEntry e{p.type, p.id, static_cast<std::uint32_t>(pack.bytes.size()),
                static_cast<std::uint32_t>(p.sealed.size()), p.raw_length};
    pack.bytes.insert(pack.bytes.end(), p.sealed.begin(), p.sealed.end());
    Bytes().swap(p.sealed); // release as we go: peak memory stays ~one pack
    put_pack_entry(header, e);
    pack.entries.push_back(e);
  }
  const std::size_t before = pack.bytes.size();
  crypto::seal_append(pack.bytes, encryption_key, header, as_bytes(k_header_aad));
  put_u32(pack.bytes, static_cast<std::uint32_t>(pack.bytes.size() - before));
  pack.name = to_hex(crypto::sha256(pack.bytes));
  return pack;
}

std::optional<std::vector<PackEntry>> read_pack_header(const crypto::Key& encryption_key,
                                                       ByteView tail, std::uint64_t pack_size) {
  if (tail.size() < k_pack_trailer_size || tail.size() > pack_size) return std::nullopt;
  const std::uint64_t sealed_len = get_u32(tail.data() + tail.size() - k_pack_trailer_size);
  if (sealed_len + k_pack_trailer_size > tail.size()) return std::nullopt;
  const std::uint64_t blobs_end = pack_size - k_pack_trailer_size - sealed_len;
  const ByteView sealed =
      tail.subspan(tail.size() - k_pack_trailer_size - static_cast<std::size_t>(sealed_len),
                   static_cast<std::size_t>(sealed_len));

  const std::optional<Bytes> header = crypto::open(encryption_key, sealed, as_bytes(k_header_aad));
  if (!header || header->size() < k_header_fixed || (*header)[0] != k_header_version)
    return std::nullopt;
  const std::uint64_t count = get_u32(header->data() + 1);
  if (header->size() != k_header_fixed + count * k_pack_entry_size) return std::nullopt;

  std::vector<PackEntry> entries;
  entries.reserve(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < count; ++i) {
    auto e = get_pack_entry(header->data() + k_header_fixed + i * k_pack_entry_size);
    if (!e || e->length < crypto::k_seal_overhead ||
        std::uint64_t{e->offset} + e->length > blobs_end)
      return std::nullopt;
    entries.push_back(*e);
  }
  std::vector<const PackEntry*> by_offset;
  by_offset.reserve(entries.size());
  for (const auto& e : entries)
    by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const PackEntry* a, const PackEntry* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (std::uint64_t{by_offset[i - 1]->offset} + by_offset[i - 1]->length > by_offset[i]->offset)
      return std::nullopt;
  return entries;
}

} // namespace offsite::core
