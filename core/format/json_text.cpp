#include "core/format/json_text.hpp"

#include <cstdint>

#include "core/common/bytes.hpp"

namespace offsite::core {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid (overlong
// forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1fu;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0fu;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (b(k) & 0x3fu);
  }
  static constexpr std::uint32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < k_min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

} // namespace

bool is_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string utf8_display_form(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xef\xbf\xbd"; // U+FFFD
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void put_json_text(nlohmann::json& doc, const std::string& field, const std::string& value) {
  if (is_utf8(value)) {
    doc[field] = value;
  } else {
    doc[field] = utf8_display_form(value);
    doc[field + "_hex"] = to_hex(as_bytes(value));
  }
}

} // namespace offsite::core
