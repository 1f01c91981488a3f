#pragma once
// File contents as recipes, so the generator never holds a file in memory
// and related files can share bytes exactly. A Stream is an endless byte
// sequence named by (kind, seed), random-access in 64 KiB blocks; a Content
// is a list of pieces of streams. A plain file is one piece; a duplicate is
// the same recipe; a later version of a big file is the old recipe with a
// few pieces replaced or inserted, so the two share most of their bytes.

#include <cstdint>
#include <span>
#include <vector>

namespace offsite::bench {

enum class StreamKind : std::uint8_t { random, code, log };

struct Piece {
  StreamKind kind;
  std::uint64_t seed;
  std::uint64_t offset; // into the stream
  std::uint64_t length;
};

struct Content {
  std::vector<Piece> pieces;

  std::uint64_t size() const;
  // The same bytes with [at, at + length) replaced by `with` (whose length
  // may differ: an insertion or a shrink).
  Content replaced(std::uint64_t at, std::uint64_t length, const Piece& with) const;
};

Content single_piece(StreamKind kind, std::uint64_t seed, std::uint64_t length);

// Writes the bytes of a stream or a whole content. Keeps the last generated
// block, so consecutive small reads of one stream cost one generation.
class ContentReader {
public:
  static constexpr std::size_t k_block_size = 64 * 1024;

  // Copies stream bytes [offset, offset + out.size()) into `out`.
  void read(const Piece& stream, std::uint64_t offset, std::span<char> out);

  // Calls sink(span) for consecutive slices of the content's bytes.
  template <typename Sink> void for_each_slice(const Content& content, Sink&& sink) {
    std::vector<char> buffer(1 << 20);
    for (const Piece& piece : content.pieces) {
      for (std::uint64_t done = 0; done < piece.length;) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), piece.length - done));
        read(piece, piece.offset + done, std::span(buffer.data(), n));
        sink(std::span<const char>(buffer.data(), n));
        done += n;
      }
    }
  }

private:
  // Generates the first `length` bytes of one block into m_block.
  void generate(const Piece& stream, std::uint64_t block, std::size_t length);

  std::vector<char> m_block = std::vector<char>(k_block_size);
  StreamKind m_kind = StreamKind::random;
  std::uint64_t m_seed = 0;
  std::uint64_t m_index = 0;
  std::size_t m_valid = 0; // bytes of m_block that hold block m_index
};

} // namespace offsite::bench
