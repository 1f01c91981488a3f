#pragma once
// Reads CBOR (RFC 8949) items one after another from untrusted bytes: the
// reading side of CborWriter, for formats decoded straight into structs
// without building a json document first. Tree decoding is on the path of
// every restore, ls and re-backup: nlohmann's document cost about a dozen
// allocations per node, half of a restore pre-scan's time.
//
// Definite lengths only, no tags: what CborWriter (and nlohmann's to_cbor)
// write. Every read checks the bytes present and reports a failure as
// std::nullopt or false, never reading past the end; skip() recurses at most
// `max_depth` containers deep. Never throws.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace offsite::util {

class CborReader {
public:
  struct Head {
    std::uint8_t major = 0; // 0 unsigned, 1 negative, 2 bytes, 3 text, 4 array, 5 map, 7 simple
    std::uint8_t info = 0;  // the initial byte's low five bits (simple values: 20 false, 21 true)
    std::uint64_t argument = 0;
  };

  explicit CborReader(std::span<const std::uint8_t> data) : m_data(data) {}

  bool at_end() const { return m_at == m_data.size(); }
  std::size_t position() const { return m_at; }
  std::size_t remaining() const { return m_data.size() - m_at; }

  // The next item's head. Fails on the end of the bytes, indefinite lengths,
  // tags and reserved values.
  std::optional<Head> head() {
    if (m_at >= m_data.size()) return std::nullopt;
    const std::uint8_t initial = m_data[m_at++];
    Head h{static_cast<std::uint8_t>(initial >> 5), static_cast<std::uint8_t>(initial & 0x1f),
           static_cast<std::uint64_t>(initial & 0x1f)};
    if (h.major == 6) return std::nullopt;
    if (h.info >= 24) {
      if (h.info > 27) return std::nullopt;
      const std::size_t width = std::size_t{1} << (h.info - 24);
      if (remaining() < width) return std::nullopt;
      h.argument = 0;
      for (std::size_t i = 0; i < width; ++i)
        h.argument = (h.argument << 8) | m_data[m_at++];
    }
    return h;
  }

  // The payload of a byte or text string whose head was just read.
  std::optional<std::span<const std::uint8_t>> payload(std::uint64_t length) {
    if (length > remaining()) return std::nullopt;
    const auto out = m_data.subspan(m_at, static_cast<std::size_t>(length));
    m_at += static_cast<std::size_t>(length);
    return out;
  }

  // A text string (a map key), or nullopt when the next item is not one.
  std::optional<std::string_view> text() {
    const auto h = head();
    if (!h || h->major != 3) return std::nullopt;
    const auto p = payload(h->argument);
    if (!p) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(p->data()), p->size());
  }

  // Skips one whole item. Only the simple values false, true and null and
  // the floats are items here, as for nlohmann's reader.
  bool skip(std::size_t max_depth) {
    const auto h = head();
    if (!h) return false;
    return skip_rest(*h, max_depth);
  }

  // Skips the rest of an item whose head was just read.
  bool skip_rest(const Head& h, std::size_t max_depth) {
    switch (h.major) {
    case 0:
    case 1: return true;
    case 2:
    case 3: return payload(h.argument).has_value();
    case 4:
    case 5: {
      if (max_depth == 0) return false;
      // Each item takes at least a byte: a larger count cannot be honest.
      const std::uint64_t items = h.argument;
      if (items > remaining() || (h.major == 5 && items > remaining() / 2)) return false;
      const std::uint64_t total = h.major == 5 ? items * 2 : items;
      for (std::uint64_t i = 0; i < total; ++i)
        if (!skip(max_depth - 1)) return false;
      return true;
    }
    case 7: return (h.info >= 20 && h.info <= 22) || (h.info >= 25 && h.info <= 27);
    default: return false;
    }
  }

private:
  std::span<const std::uint8_t> m_data;
  std::size_t m_at = 0;
};

} // namespace offsite::util
