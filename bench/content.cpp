// Content recipes and the reader that turns them into bytes (content.hpp).
#include "bench/content.hpp"

#include <algorithm>
#include <cstring>

#include "bench/prng.hpp"
#include "bench/text.hpp"

namespace offsite::bench {

std::uint64_t Content::size() const {
  std::uint64_t total = 0;
  for (const Piece& p : pieces)
    total += p.length;
  return total;
}

Content Content::replaced(std::uint64_t at, std::uint64_t length, const Piece& with) const {
  Content out;
  std::uint64_t pos = 0;
  bool inserted = false;
  const auto insert = [&] {
    if (!inserted && with.length > 0) out.pieces.push_back(with);
    inserted = true;
  };
  for (const Piece& p : pieces) {
    const std::uint64_t start = pos, end = pos + p.length;
    pos = end;
    // The part of p before the replaced range, then the new piece, then the
    // part of p after it.
    if (start < at) {
      const std::uint64_t keep = std::min(end, at) - start;
      out.pieces.push_back({p.kind, p.seed, p.offset, keep});
    }
    if (end >= at) insert();
    if (end > at + length) {
      const std::uint64_t from = std::max(start, at + length);
      out.pieces.push_back({p.kind, p.seed, p.offset + (from - start), end - from});
    }
  }
  insert();
  return out;
}

Content single_piece(StreamKind kind, std::uint64_t seed, std::uint64_t length) {
  return Content{{Piece{kind, seed, 0, length}}};
}

void ContentReader::generate(const Piece& stream, std::uint64_t block, std::size_t length) {
  // Every block has its own generator, so any block can be produced without
  // the ones before it, and a prefix of a block equals the full block's start.
  Xoshiro256 rng(mix_seed(stream.seed, block));
  const std::span<char> out(m_block.data(), length);
  switch (stream.kind) {
  case StreamKind::random: rng.fill(out); break;
  case StreamKind::code: text_source().fill(rng, TextStyle::code, out); break;
  case StreamKind::log: text_source().fill(rng, TextStyle::log, out); break;
  }
  m_kind = stream.kind;
  m_seed = stream.seed;
  m_index = block;
  m_valid = length;
}

void ContentReader::read(const Piece& stream, std::uint64_t offset, std::span<char> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t block = pos / k_block_size;
    const auto in_block = static_cast<std::size_t>(pos % k_block_size);
    const std::size_t n = std::min(out.size() - done, k_block_size - in_block);
    const bool cached = m_kind == stream.kind && m_seed == stream.seed && m_index == block &&
                        m_valid >= in_block + n && m_valid > 0;
    // Small files read only the start of a block: generating just that much
    // keeps 100 000 small files from costing 100 000 full blocks.
    if (!cached)
      generate(stream, block, std::max(in_block + n, std::min(k_block_size, std::size_t{4096})));
    std::memcpy(out.data() + done, m_block.data() + in_block, n);
    done += n;
  }
}

} // namespace offsite::bench
