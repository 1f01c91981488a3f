#pragma once
// Text that is not valid UTF-8 in a JSON document. Paths and names on Linux
// are bytes, and JSON strings must be UTF-8 (nlohmann throws on anything
// else). Replacing bad bytes would lose the real name, so a text field with
// invalid UTF-8 is written twice: the usual field holds a display form (each
// invalid byte as U+FFFD), and "<field>_hex" holds the exact bytes in hex.
// Readers prefer "<field>_hex" when present. Snapshot documents, `snapshots
// --json` and `ls --json` all follow this one convention.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace offsite::core {

bool is_utf8(std::string_view s);

// `s` with each byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string utf8_display_form(std::string_view s);

// doc[field] = value, plus doc[field + "_hex"] when value is not UTF-8.
void put_json_text(nlohmann::json& doc, const std::string& field, const std::string& value);

} // namespace offsite::core
