#pragma once
// The one rule for showing bytes we did not write ourselves (file names,
// snapshot paths, keys, what a server or a proxy sent, what a user typed) on
// a terminal or in a message: well-formed printable UTF-8 is kept as it is;
// everything else is shown as \xNN: control bytes (so no terminal escape,
// line break or carriage return can be forged), C1 controls, invalid,
// overlong or surrogate UTF-8, invisible characters that reorder or hide
// text (direction overrides, zero-width spaces, line separators, the BOM),
// and the backslash itself (so a \xNN in the
// output always stands for one byte and a name cannot pretend to be escaped).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace offsite::util {

struct PrintOptions {
  // Show at most this many characters of the text (a kept UTF-8 character or
  // one escaped byte each), then "..."; 0 shows all of it. For text of
  // unbounded length from the network.
  std::size_t max_chars = 0;
  // Also '"' as \x22: for text a message puts between double quotes, so it
  // cannot end the quote early.
  bool quoted = false;
};

std::string printable(std::string_view text, PrintOptions options = {});

// True when every byte is printable ASCII (0x20..0x7e): for values that must
// be plain text to be valid at all (a secret, a host name), or short enough
// to quote as they are.
bool is_printable_ascii(std::string_view text);

// The bytes a user means by text copied from printable()'s output: each
// "\xNN" (backslash, x, two hex digits) is that one byte, everything else is
// itself. printable() escapes the backslash itself as \x5c, so
// from_printable(printable(s)) == s for every s. A real name holding a
// backslash followed by "x" and two hex digits is typed with that backslash
// as \x5c; any other backslash may be typed as it is.
std::string from_printable(std::string_view text);

// printable() of each item, joined by `separator`.
std::string join_printable(const std::vector<std::string>& items, std::string_view separator);

} // namespace offsite::util
