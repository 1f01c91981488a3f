#pragma once
// The fixed master key of the sealed-object targets and of their seed
// corpus (tests/fuzz/make_corpus.cpp): the fuzzer mutates objects sealed
// with it, so the opening code sees both authentic and forged input.

#include <cstdint>
#include <string_view>

#include "core/crypto/keys.hpp"

namespace offsite::fuzz {

inline core::MasterKey test_key() {
  core::MasterKey key;
  for (std::size_t i = 0; i < key.encryption.size(); ++i) {
    key.encryption[i] = static_cast<std::uint8_t>(i + 1);
    key.id_mac[i] = static_cast<std::uint8_t>(i + 0x41);
    key.chunker[i] = static_cast<std::uint8_t>(i + 0x81);
  }
  return key;
}

// Sealed-object targets read their first byte as the mode: even = the
// plaintext decoder on the rest, odd = the rest is sealed, opened with
// test_key() first.
inline bool sealed_mode(std::uint8_t first) { return (first & 1) != 0; }

} // namespace offsite::fuzz
