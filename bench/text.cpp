// Text-like bytes for the benchmark tree (see text.hpp for the why).
#include "bench/text.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace offsite::bench {

namespace {

constexpr std::size_t k_vocabulary_size = 4096;
// Share of lines that repeat one of the last 16: tuned so that zstd -3
// compresses about 3.5x (code) to 4x (logs).
constexpr double k_repeat_share = 0.3;
constexpr std::uint64_t k_vocabulary_seed = 0x6f66667369746521ULL; // "offsite!"

constexpr std::array<std::string_view, 20> k_onsets = {"b", "c", "d",  "f",  "g",  "h", "k",
                                                       "l", "m", "n",  "p",  "r",  "s", "t",
                                                       "v", "w", "st", "tr", "ch", "pl"};
constexpr std::array<std::string_view, 8> k_nuclei = {"a", "e", "i", "o", "u", "ea", "io", "ou"};
constexpr std::array<std::string_view, 8> k_codas = {"", "", "", "n", "r", "s", "t", "x"};
constexpr std::array<std::string_view, 5> k_levels = {"INFO", "INFO", "DEBUG", "WARN", "ERROR"};
constexpr std::array<std::string_view, 8> k_separators = {" ", " ",  " ",   ", ",
                                                          "(", ") ", " = ", "."};
constexpr std::array<std::string_view, 5> k_line_ends = {";", ";", " {", "", ":"};

template <typename Array> std::string_view pick(Xoshiro256& rng, const Array& items) {
  return items[rng.below(items.size())];
}

// 1/rank: rank r is chosen with probability about 1/(r ln N), so a few
// dozen words make up half the text, as in prose and in code.
std::size_t zipf_rank(Xoshiro256& rng, std::size_t n) {
  const auto r =
      static_cast<std::size_t>(std::exp(rng.uniform() * std::log(static_cast<double>(n))));
  return std::min(r, n) - 1;
}

void append_number(std::string& line, std::uint64_t value, bool hex) {
  std::array<char, 24> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), hex ? "0x%08llx" : "%llu",
                              static_cast<unsigned long long>(value));
  line.append(buf.data(), static_cast<std::size_t>(n));
}

// An ISO 8601 time in 2024, `millis` after its start (months of 30 days:
// the calendar does not matter, the shape of the bytes does).
void append_timestamp(std::string& line, std::uint64_t millis) {
  const std::uint64_t seconds = millis / 1000;
  std::array<char, 40> stamp{};
  const int n = std::snprintf(
      stamp.data(), stamp.size(), "2024-%02u-%02uT%02u:%02u:%02u.%03uZ ",
      static_cast<unsigned>(1 + seconds / (30 * 86400) % 12),
      static_cast<unsigned>(1 + seconds / 86400 % 30), static_cast<unsigned>(seconds / 3600 % 24),
      static_cast<unsigned>(seconds / 60 % 60), static_cast<unsigned>(seconds % 60),
      static_cast<unsigned>(millis % 1000));
  line.append(stamp.data(), static_cast<std::size_t>(n));
}

} // namespace

TextSource::TextSource() {
  Xoshiro256 rng(k_vocabulary_seed);
  m_words.reserve(k_vocabulary_size);
  for (std::size_t i = 0; i < k_vocabulary_size; ++i) {
    // Frequent words are short, as in every language.
    const std::uint64_t syllables = 1 + rng.below(i < 64 ? 2 : 4);
    std::string w;
    for (std::uint64_t s = 0; s < syllables; ++s) {
      w += pick(rng, k_onsets);
      w += pick(rng, k_nuclei);
    }
    w += pick(rng, k_codas);
    m_words.push_back(std::move(w));
  }
}

std::string_view TextSource::word(Xoshiro256& rng) const {
  return m_words[zipf_rank(rng, m_words.size())];
}

void TextSource::append_code_line(Xoshiro256& rng, std::string& line) const {
  line.append(2 * rng.below(5), ' ');
  const std::uint64_t tokens = 1 + rng.below(8);
  for (std::uint64_t t = 0; t < tokens; ++t) {
    if (t > 0) line += pick(rng, k_separators);
    if (rng.chance(0.06)) {
      append_number(line, rng.below(rng.chance(0.5) ? 100 : 100000), false);
    } else {
      line += word(rng);
      if (rng.chance(0.25)) {
        line += '_';
        line += word(rng);
      }
    }
  }
  line += pick(rng, k_line_ends);
  line += '\n';
}

void TextSource::append_log_line(Xoshiro256& rng, std::string& line) const {
  line += "host-";
  append_number(line, rng.below(8), false);
  line += ' ';
  line += word(rng);
  line += '[';
  append_number(line, 1000 + rng.below(200), false);
  line += "]: ";
  line += pick(rng, k_levels);
  const std::uint64_t words = 3 + rng.below(10);
  for (std::uint64_t w = 0; w < words; ++w) {
    line += ' ';
    line += word(rng);
  }
  if (rng.chance(0.3)) {
    line += " id=";
    append_number(line, rng.next() & 0xffffffffU, true);
  }
  line += '\n';
}

void TextSource::fill(Xoshiro256& rng, TextStyle style, std::span<char> out) const {
  // Real text repeats itself beyond single words (closing braces, the same
  // call twice, a log message template): recent lines come back now and then.
  std::array<std::string, 16> recent;
  std::size_t lines = 0;
  std::uint64_t millis = rng.below(std::uint64_t{365} * 86400 * 1000); // log time goes forward
  std::string line;
  std::size_t at = 0;
  while (at < out.size()) {
    line.clear();
    if (style == TextStyle::log) {
      millis += rng.below(2000);
      append_timestamp(line, millis);
    }
    const std::size_t body_start = line.size();
    if (lines >= recent.size() && rng.chance(k_repeat_share)) {
      line += recent[rng.below(recent.size())];
    } else if (style == TextStyle::code) {
      append_code_line(rng, line);
    } else {
      append_log_line(rng, line);
    }
    recent[lines++ % recent.size()].assign(line, body_start);
    const std::size_t n = std::min(line.size(), out.size() - at);
    std::copy_n(line.data(), n, out.data() + at);
    at += n;
  }
}

const TextSource& text_source() {
  static const TextSource source;
  return source;
}

} // namespace offsite::bench
