// Index files (core/format/index.cpp). Mode (see test_key.hpp):
//   plaintext: decode_index on the rest; what decodes encodes back to the
//              same bytes (the format has one encoding).
//   sealed:    the rest is stored as index/<its SHA-256> in a repository
//              opened with the test key, which reads it as every command
//              does (authentication, then decode_index).
// Failures may only be Error(integrity).
#include <cstddef>
#include <cstdint>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/format/index.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/memory_store.hpp"

using namespace offsite;
using namespace offsite::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const ByteView rest(data + 1, size - 1);
  try {
    if (offsite::fuzz::sealed_mode(data[0])) {
      static offsite::fuzz::TestRepository repository;
      const std::string key = "index/" + to_hex(crypto::sha256(rest));
      repository.store.put(key, rest);
      try {
        (void)repository.repo->read_index_files();
      } catch (...) {
        repository.store.remove(key);
        throw;
      }
      repository.store.remove(key);
    } else {
      const auto packs = decode_index(rest);
      const Bytes again = encode_index(packs);
      FUZZ_CHECK(again.size() == rest.size() &&
                 std::equal(again.begin(), again.end(), rest.begin()));
    }
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == Code::integrity);
  }
  return 0;
}
