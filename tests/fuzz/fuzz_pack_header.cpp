// Pack headers (core/format/pack.cpp). Mode (see test_key.hpp):
//   plaintext: [u32 LE size of the blob region][header plaintext]; the
//              target seals the header with the test key and appends the
//              trailer, so the fuzzer reaches the parser behind the tag.
//   sealed:    [u32 LE size of the blob region][the pack's tail as stored].
// Whatever read_pack_header accepts must lie before the sealed header, without
// overlaps: readers trust the entries to fetch ranges.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/crypto/crypto.hpp"
#include "core/format/pack.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/test_key.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

constexpr std::string_view k_header_aad = "offsite-pack-header-v1";

// The plaintext mode seals with pack.cpp's associated data, repeated above:
// if that ever changes, every input would fail authentication and the
// fuzzer would test nothing, so a pack from the real builder must open.
bool header_aad_matches(const MasterKey& key) {
  PackBuilder builder(key.encryption);
  builder.add(BlobType::data, BlobId{}, Bytes(crypto::k_seal_overhead), 0);
  const FinishedPack pack = builder.finish();
  const std::size_t sealed = get_u32(pack.bytes.data() + pack.bytes.size() - 4);
  const ByteView header(pack.bytes.data() + pack.bytes.size() - 4 - sealed, sealed);
  return crypto::open(key.encryption, header, as_bytes(k_header_aad)).has_value();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  static const MasterKey key = offsite::fuzz::test_key();
  static const bool aad_ok = header_aad_matches(key);
  FUZZ_CHECK(aad_ok);
  const std::uint64_t blob_region = get_u32(data + 1);
  const ByteView rest(data + 5, size - 5);
  Bytes tail;
  if (offsite::fuzz::sealed_mode(data[0])) {
    tail.assign(rest.begin(), rest.end());
  } else {
    crypto::seal_append(tail, key.encryption, rest, as_bytes(k_header_aad));
    put_u32(tail, static_cast<std::uint32_t>(tail.size()));
  }
  const std::uint64_t pack_size = blob_region + tail.size();
  const auto entries = read_pack_header(key.encryption, tail, pack_size);
  if (!entries) return 0;
  // Accepted: the tail ends in the sealed header's length, before which
  // the header, before which the blobs.
  const std::uint64_t blobs_end = pack_size - 4 - get_u32(tail.data() + tail.size() - 4);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& e : *entries) {
    FUZZ_CHECK(e.type == BlobType::data || e.type == BlobType::tree);
    FUZZ_CHECK(std::uint64_t{e.offset} + e.length <= blobs_end);
    ranges.emplace_back(e.offset, std::uint64_t{e.offset} + e.length);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i)
    FUZZ_CHECK(ranges[i - 1].second <= ranges[i].first);
  return 0;
}
