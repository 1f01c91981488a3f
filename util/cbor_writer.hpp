#pragma once
// Writes CBOR (RFC 8949) items of definite length straight into a byte
// vector, each head in its shortest form: the same bytes nlohmann::json's
// to_cbor writes for the same values (tests/unit/util check this), without
// building a json document first. Tree encoding is on the path of every
// backup: the document cost a dozen allocations per file, a fifth of an
// unchanged re-backup's time.

#include <cassert>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace offsite::util {

class CborWriter {
public:
  void reserve(std::size_t bytes) { m_out.reserve(bytes); }

  void unsigned_int(std::uint64_t v) { head(0, v); }
  // Major type 1 below zero, as nlohmann writes number_integer.
  void signed_int(std::int64_t v) {
    if (v >= 0)
      head(0, static_cast<std::uint64_t>(v));
    else
      head(1, static_cast<std::uint64_t>(-1 - v));
  }
  void bytes(std::span<const std::uint8_t> b) {
    head(2, b.size());
    m_out.insert(m_out.end(), b.begin(), b.end());
  }
  void bytes(std::string_view b) {
    head(2, b.size());
    m_out.insert(m_out.end(), b.begin(), b.end());
  }
  void text(std::string_view t) {
    head(3, t.size());
    m_out.insert(m_out.end(), t.begin(), t.end());
  }
  void array(std::size_t items) { head(4, items); }
  void map(std::size_t pairs) { head(5, pairs); }
  void boolean(bool v) { m_out.push_back(v ? 0xf5 : 0xf4); }

  // A map of at most 23 pairs (a one-byte head) whose count is known only
  // once they are written: small_map() returns where its head is, and
  // end_small_map() fills in the count.
  std::size_t small_map() {
    m_out.push_back(0xa0);
    return m_out.size() - 1;
  }
  void end_small_map(std::size_t head, std::size_t pairs) {
    assert(pairs <= 23);
    m_out[head] = static_cast<std::uint8_t>(0xa0 | pairs);
  }

  std::vector<std::uint8_t> take() { return std::move(m_out); }

private:
  void head(std::uint8_t major, std::uint64_t v) {
    const auto m = static_cast<std::uint8_t>(major << 5);
    if (v <= 23) {
      m_out.push_back(static_cast<std::uint8_t>(m | v));
    } else if (v <= 0xff) {
      m_out.push_back(m | 24);
      m_out.push_back(static_cast<std::uint8_t>(v));
    } else if (v <= 0xffff) {
      m_out.push_back(m | 25);
      big_endian(v, 2);
    } else if (v <= 0xffffffff) {
      m_out.push_back(m | 26);
      big_endian(v, 4);
    } else {
      m_out.push_back(m | 27);
      big_endian(v, 8);
    }
  }
  void big_endian(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i)
      m_out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }

  std::vector<std::uint8_t> m_out;
};

} // namespace offsite::util
