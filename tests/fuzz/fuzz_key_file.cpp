// Key files (core/crypto/keys.cpp), as they come back from the store. The
// input is the file's text: read_key_file checks it (and bounds the scrypt
// parameters) and open_key_file opens the sealed master key with a fixed
// wrapping key, which stands in for scrypt (a 16 MiB derivation per input
// would leave the fuzzer no time for the decoder). Failures may only be
// Error(integrity) or Error(wrong_passphrase).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/common/error.hpp"
#include "core/crypto/keys.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/test_key.hpp"

using namespace offsite;
using namespace offsite::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const KeyFileFields fields =
        read_key_file(std::string_view(reinterpret_cast<const char*>(data), size));
    FUZZ_CHECK(fields.params.n >= 2 && fields.params.r >= 1 && fields.params.p >= 1);
    (void)open_key_file(fields, offsite::fuzz::test_key().encryption);
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == Code::integrity || e.code() == Code::wrong_passphrase);
  }
  return 0;
}
