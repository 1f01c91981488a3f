#include "util/printable.hpp"

namespace offsite::util {

namespace {

// Characters that print nothing yet change how the rest of a line reads:
// direction overrides and isolates (a hostile name could make "exe.txt" show
// as "txt.exe"), zero-width characters, line and paragraph separators, the
// byte-order mark, interlinear annotation and tag characters. Escaped like
// control bytes.
bool is_invisible_format(char32_t cp) {
  return cp == 0x00ad || cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||
         (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

// Length of the well-formed UTF-8 sequence of two to four bytes at `s[i]`
// that is safe to print (no overlongs, surrogates, C1 controls or invisible
// format characters), or 0.
std::size_t printable_utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf; // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    if (c == 0xc2) lo = 0xa0; // U+0080..U+009F are C1 controls
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0; // overlong
    if (c == 0xed) hi = 0x9f; // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90; // overlong
    if (c == 0xf4) hi = 0x8f; // above U+10FFFF
  }
  if (len == 0 || i + len > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((b(k) & 0xc0) != 0x80) return 0;
  char32_t code_point = c & (0xff >> (len + 1));
  for (std::size_t k = 1; k < len; ++k)
    code_point = (code_point << 6) | (b(k) & 0x3f);
  return is_invisible_format(code_point) ? 0 : len;
}

void append_escaped(std::string& out, unsigned char byte) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += "\\x";
  out.push_back(k_hex[byte >> 4]);
  out.push_back(k_hex[byte & 0x0f]);
}

} // namespace

std::string printable(std::string_view text, PrintOptions options) {
  std::string out;
  out.reserve(text.size());
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i, ++chars) {
    if (options.max_chars != 0 && chars == options.max_chars) {
      out += "...";
      break;
    }
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\' && !(options.quoted && c == '"')) {
      out.push_back(c);
      continue;
    }
    if (const std::size_t len = byte >= 0x80 ? printable_utf8_length(text, i) : 0; len > 0) {
      out.append(text.substr(i, len));
      i += len - 1;
      continue;
    }
    append_escaped(out, byte);
  }
  return out;
}

std::string from_printable(std::string_view text) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x' && hex(text[i + 2]) >= 0 &&
        hex(text[i + 3]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 2]) * 16 + hex(text[i + 3])));
      i += 3;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

bool is_printable_ascii(std::string_view text) {
  for (const char c : text)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string join_printable(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += printable(item);
  }
  return out;
}

} // namespace offsite::util
