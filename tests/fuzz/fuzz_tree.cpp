// Trees (core/format/tree.cpp). Mode (see test_key.hpp):
//   plaintext: decode_tree on the rest; what decodes must encode into bytes
//              that decode and encode to the same bytes again.
//   sealed:    [32-byte blob id][the sealed blob], opened as a tree blob
//              with the test key (BlobCodec::open), then decoded.
// Failures may only be Error(integrity).
#include <cstddef>
#include <cstdint>

#include "core/common/error.hpp"
#include "core/format/blob.hpp"
#include "core/format/tree.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/test_key.hpp"

using namespace offsite;
using namespace offsite::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  ByteView rest(data + 1, size - 1);
  try {
    if (offsite::fuzz::sealed_mode(data[0])) {
      static const BlobCodec codec(offsite::fuzz::test_key());
      if (rest.size() < 32) return 0;
      BlobId id;
      std::copy_n(rest.begin(), 32, id.begin());
      const auto plain = codec.open(BlobType::tree, id, rest.subspan(32));
      if (plain) (void)decode_tree(*plain);
    } else {
      const Bytes encoded = encode_tree(decode_tree(rest));
      FUZZ_CHECK(encode_tree(decode_tree(encoded)) == encoded);
    }
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == Code::integrity);
  }
  return 0;
}
