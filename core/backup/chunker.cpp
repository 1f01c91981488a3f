// Content-defined chunking: FastCDC with normalized chunking.
//
// Why content-defined. Fixed-size blocks dedup nothing once a byte is
// inserted near the start of a file: every later block shifts. A
// content-defined chunker cuts where the *content* says so (a rolling hash of
// the last few dozen bytes hits a pattern), so after an edit the cut points
// re-synchronise within a chunk and everything after dedups again.
//
// Why FastCDC (Xia et al., USENIX ATC 2016; IEEE TPDS 2020). It is the
// fastest published CDC with Rabin-quality dedup: the rolling hash is the
// "gear" hash h = (h << 1) + gear[byte], one shift, one add and one table
// load per byte, and a cut is declared when (h & mask) == 0. Bit k of h
// depends on the last k+1 bytes only, so the masks use the top bits of the
// word (a window of up to 64 bytes) and no explicit window is removed.
// Two more ideas from the paper:
// - Sub-minimum skipping: the first min_size bytes of a chunk are never
//   hashed; no cut may fall there anyway. With 512 KiB of 1 MiB that halves
//   the work.
// - Normalized chunking (level 2): before avg_size the mask has log2(avg)+2
//   bits (a cut is 4x less likely), after it log2(avg)-2 bits (16x more
//   likely). Sizes bunch up around the average instead of the long
//   exponential tail of plain CDC, so fewer chunks hit max_size (a forced,
//   content-independent cut) and the dedup ratio improves.
//   With the default sizes the mean on random data is about 1.2 MiB: an
//   ~12% chance to cut between 512 KiB and 1 MiB, else ~256 KiB past 1 MiB.
//
// Why a secret gear table. With a public table, chunk boundaries and hence
// the sequence of chunk sizes are a function of the plaintext alone, and
// sizes are visible to the server even through encryption: published attacks
// (2025) identify known files, and recover content, from size sequences. The
// table is derived from the per-account chunker key (see make_gear below), so
// the server cannot predict boundaries for a guessed file; blob padding and
// shuffling within packs blur the sizes further. This costs nothing at run
// time: it is still a 2 KiB table lookup.
//
// Why 512 KiB / 1 MiB / 8 MiB. Every chunk costs an index entry (a few dozen
// bytes in RAM and on the server), a MAC, a GCM seal and some per-blob
// overhead in packs and on the wire; ~1 MiB chunks keep a 1 TB backup under a
// million index entries, which a small client can hold in memory.
// Smaller averages (restic's 1 MiB is the same choice, borg's 2 MiB larger)
// find more duplicate data inside edited files but multiply that overhead;
// for whole-file dedup and append-mostly data (the common backup case) 1 MiB
// loses little. The minimum keeps tiny chunks from ever being produced (and
// skips half the hashing); the maximum of 8x the average bounds memory per
// chunk and is hit almost never on real data (probability e^-28 past avg).
//
// Streaming API. next_boundary(data, at_eof) is stateless: it looks at the
// start of `data` (the start of a chunk) and returns the first chunk's length,
// or 0 when it cannot decide yet (no cut found, fewer than max_size bytes,
// more input to come). The caller keeps a buffer, appends at least max_size
// bytes when it can (a 0 result means the scan restarts when more is
// appended), cuts chunks off the front, and passes at_eof for the last bytes
// of a file. Because the decision depends only on the chunk's own bytes, the
// result does not depend on how the input was split into reads, and one
// Chunker can be shared by threads.
#include "core/backup/chunker.hpp"

#include <bit>
#include <string>

#include "core/common/error.hpp"

namespace offsite::core {
namespace {

// Gear table: HMAC-SHA-256(secret, "offsite-gear" || u32 LE counter) for
// counter = 0..63, each 32-byte output read as four little-endian u64.
std::array<std::uint64_t, 256> make_gear(const crypto::Key& secret) {
  std::array<std::uint64_t, 256> gear{};
  crypto::HmacSha256 mac(secret);
  constexpr std::string_view k_label = "offsite-gear";
  std::array<std::uint8_t, k_label.size() + 4> msg{};
  std::copy(k_label.begin(), k_label.end(), msg.begin());
  for (std::uint32_t counter = 0; counter < 64; ++counter) {
    for (std::size_t i = 0; i < 4; ++i)
      msg[k_label.size() + i] = static_cast<std::uint8_t>(counter >> (8 * i));
    const crypto::Hash h = mac.mac(msg);
    for (std::size_t w = 0; w < 4; ++w)
      gear[std::size_t{counter} * 4 + w] = get_u64(h.data() + 8 * w);
  }
  return gear;
}

// `bits` one-bits at the top of the word: the bits of a gear hash that
// depend on the most input bytes.
std::uint64_t top_mask(unsigned bits) { return ~std::uint64_t{0} << (64 - bits); }

} // namespace

Chunker::Chunker(const crypto::Key& secret, ChunkerParams params)
    : m_params(params), m_mask_small(0), m_mask_large(0) {
  const auto& p = m_params;
  if (!(p.min_size < p.avg_size && p.avg_size < p.max_size) || !std::has_single_bit(p.avg_size) ||
      p.avg_size < 64 || p.avg_size > (std::size_t{1} << 40))
    throw Error(Code::usage,
                "invalid chunker sizes min " + std::to_string(p.min_size) + ", average " +
                    std::to_string(p.avg_size) + ", max " + std::to_string(p.max_size),
                "the sizes must satisfy min < average < max, with the average a power of two "
                "of at least 64 bytes");
  const auto bits = static_cast<unsigned>(std::countr_zero(p.avg_size));
  m_mask_small = top_mask(bits + 2);
  m_mask_large = top_mask(bits - 2);
  m_gear = make_gear(secret);
}

std::size_t Chunker::next_boundary(ByteView data, bool at_eof) const {
  const std::size_t n = data.size();
  const std::size_t min = m_params.min_size;
  const std::size_t max = m_params.max_size;
  if (n <= min) return at_eof ? n : 0;

  const std::size_t limit = n < max ? n : max;
  const std::size_t normal = m_params.avg_size < limit ? m_params.avg_size : limit;
  const std::uint8_t* const p = data.data();
  const std::uint64_t* const gear = m_gear.data();
  std::uint64_t h = 0;
  std::size_t i = min;

  // The hot loop of a backup: keep it free of anything but the hash.
  const std::uint64_t mask_small = m_mask_small;
  for (; i < normal; ++i) {
    h = (h << 1) + gear[p[i]];
    if ((h & mask_small) == 0) return i + 1;
  }
  const std::uint64_t mask_large = m_mask_large;
  for (; i < limit; ++i) {
    h = (h << 1) + gear[p[i]];
    if ((h & mask_large) == 0) return i + 1;
  }
  if (limit == max) return max;
  return at_eof ? n : 0;
}

} // namespace offsite::core
