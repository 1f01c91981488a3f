#pragma once
// Text-like bytes: what source trees, logs and documents look like to a
// compressor. Words come from a fixed pseudo-word vocabulary with a Zipf-like
// (1/rank) choice, as in natural language and identifiers in code, arranged in
// indented code-ish lines or timestamped log lines. zstd -3 shrinks it about
// 3-4x, like real source code and logs, not the 10x+ of repeated lines.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/prng.hpp"

namespace offsite::bench {

enum class TextStyle { code, log };

class TextSource {
public:
  // The vocabulary is the same for every tree (a fixed seed), so two trees
  // share a language the way two source trees do.
  TextSource();

  // Fills `out` with text drawn from `rng`. Output depends only on the
  // generator state and style, and `out` is filled front to back, so a
  // shorter buffer receives a prefix of what a longer one would.
  void fill(Xoshiro256& rng, TextStyle style, std::span<char> out) const;

  // One word of the vocabulary (for file and directory names).
  std::string_view word(Xoshiro256& rng) const;

private:
  void append_code_line(Xoshiro256& rng, std::string& line) const;
  void append_log_line(Xoshiro256& rng, std::string& line) const;

  std::vector<std::string> m_words;
};

// The one shared instance (building the vocabulary takes a moment).
const TextSource& text_source();

} // namespace offsite::bench
