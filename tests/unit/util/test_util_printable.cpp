#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "util/printable.hpp"

using offsite::util::from_printable;
using offsite::util::join_printable;
using offsite::util::printable;

TEST_SUITE_BEGIN("util::printable");

TEST_CASE("given printable ASCII and well-formed UTF-8 when printing then they are kept") {
  CHECK(printable("plain text, 100% \"ok\"") == "plain text, 100% \"ok\"");
  CHECK(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(printable("") == "");
}

TEST_CASE("given control bytes when printing then each is \\xNN and none reaches the output") {
  const std::string shown = printable("a\x1b[31m\n\r\t\x7f" + std::string("\0z", 2));
  CHECK(shown == "a\\x1b[31m\\x0a\\x0d\\x09\\x7f\\x00z");
  CHECK(shown.find('\x1b') == std::string::npos);
}

TEST_CASE("given bytes that are not printable UTF-8 when printing then each is \\xNN") {
  CHECK(printable("\xff\xfe") == "\\xff\\xfe");                   // never UTF-8
  CHECK(printable("\xc2\x9b") == "\\xc2\\x9b");                   // C1 control (CSI)
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");                   // overlong '/'
  CHECK(printable("\xe0\x80\xaf") == "\\xe0\\x80\\xaf");          // overlong '/', three bytes
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");          // surrogate
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80"); // above U+10FFFF
  CHECK(printable("x\xc3") == "x\\xc3");                          // cut short
  CHECK(printable("\xc3(") == "\\xc3(");                          // bad continuation
}

TEST_CASE("given invisible characters that reorder or hide text when printing then each byte is "
          "\\xNN") {
  CHECK(printable("a\xe2\x80\xae"
                  "exe.txt") == "a\\xe2\\x80\\xaeexe.txt"); // U+202E right-to-left override
  CHECK(printable("\xe2\x81\xa6x") == "\\xe2\\x81\\xa6x");  // U+2066 isolate
  CHECK(printable("a\xe2\x80\x8b"
                  "b") == "a\\xe2\\x80\\x8bb"); // U+200B zero width space
  CHECK(printable("a\xe2\x80\xa8"
                  "b") == "a\\xe2\\x80\\xa8b");                   // U+2028 line separator
  CHECK(printable("\xef\xbb\xbfx") == "\\xef\\xbb\\xbfx");        // U+FEFF byte-order mark
  CHECK(printable("\xf3\xa0\x80\x81") == "\\xf3\\xa0\\x80\\x81"); // U+E0001 language tag
  // Their neighbours stay as they are.
  CHECK(printable("\xe2\x80\x94 \xe2\x80\xb0") == "\xe2\x80\x94 \xe2\x80\xb0"); // U+2014, U+2030
}

TEST_CASE("given a backslash when printing then it is escaped too, so no escape can be forged") {
  CHECK(printable("\\x1b") == "\\x5cx1b");
  CHECK(printable("a\\b") == "a\\x5cb");
}

TEST_CASE("given text for inside double quotes when printing then a quote is escaped") {
  CHECK(printable("a\"b\\c", {.quoted = true}) == "a\\x22b\\x5cc");
}

TEST_CASE("given a character limit when printing then the rest is cut with a marker") {
  CHECK(printable("abcdef", {.max_chars = 3}) == "abc...");
  CHECK(printable("abc", {.max_chars = 3}) == "abc");
  // A kept UTF-8 character and an escaped byte count as one character each.
  CHECK(printable("\xc3\xa9\x01xyz", {.max_chars = 3}) == "\xc3\xa9\\x01x...");
  CHECK(printable(std::string(500, 'x'), {.max_chars = 80}) == std::string(80, 'x') + "...");
}

TEST_CASE("given several items when joining them then each is printed by the same rule") {
  CHECK(join_printable({"a", "b\n", "c"}, ", ") == "a, b\\x0a, c");
  CHECK(join_printable({}, ",").empty());
}

TEST_CASE("given printed text when reading it back then every name comes back byte for byte") {
  for (const std::string& name :
       {std::string("lat1\xe9"), std::string("back\\slash"), std::string("a\\x41"),
        std::string("nul\0in", 6), std::string("caf\xc3\xa9\n"), std::string("\\")})
    CHECK(from_printable(printable(name)) == name);
  CHECK(printable("a\\x41") == "a\\x5cx41");
}

TEST_CASE("given a backslash that is no \\xNN when reading it back then it is kept") {
  CHECK(from_printable("lat1\\xe9") == "lat1\xe9");
  CHECK(from_printable("C:\\dir") == "C:\\dir");
  CHECK(from_printable("end\\x4") == "end\\x4");
  CHECK(from_printable("\\xZZ") == "\\xZZ");
  CHECK(from_printable("\\x41\\X41") == "A\\X41");
}

TEST_SUITE_END();
