#pragma once
// Content-defined chunking (FastCDC with normalized chunking); see chunker.cpp
// for the design.

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/common/bytes.hpp"
#include "core/crypto/crypto.hpp"

namespace offsite::core {

struct ChunkerParams {
  std::size_t min_size = std::size_t{512} * 1024;
  std::size_t avg_size = std::size_t{1024} * 1024; // power of two
  std::size_t max_size = std::size_t{8} * 1024 * 1024;
};

class Chunker {
public:
  // The gear table is derived from `secret`, so boundaries differ per account.
  explicit Chunker(const crypto::Key& secret, ChunkerParams params = {});

  // Length of the first chunk of `data`. When no boundary is found and
  // `at_eof` is false and data.size() < max_size, returns 0: the caller must
  // supply more bytes. With at_eof, never returns 0 for non-empty data.
  // Stateless and thread-safe.
  std::size_t next_boundary(ByteView data, bool at_eof) const;

  const ChunkerParams& params() const { return m_params; }

private:
  ChunkerParams m_params;
  std::uint64_t m_mask_small;
  std::uint64_t m_mask_large;
  std::array<std::uint64_t, 256> m_gear{};
};

} // namespace offsite::core
