#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/crypto/key_export.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

Code code_of(std::string_view text) {
  try {
    parse_key_export(text);
  } catch (const Error& e) {
    return e.code();
  }
  return Code::generic;
}

} // namespace

TEST_SUITE_BEGIN("core::KeyExport");

TEST_CASE("given an exported key when it is parsed back then the key and id are the same") {
  const KeyExport original{MasterKey::generate(), "abc123"};
  const std::string text = format_key_export(original);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["format"] == "offsite-key-export");
  CHECK(j["version"] == 1);
  CHECK(j["note"].get<std::string>().find("key passwd --from-export") != std::string::npos);
  const KeyExport back = parse_key_export(text);
  CHECK(back.repository_id == "abc123");
  CHECK(back.key.encryption == original.key.encryption);
  CHECK(back.key.id_mac == original.key.id_mac);
  CHECK(back.key.chunker == original.key.chunker);
}

TEST_CASE("given files that are not exports then parsing is a usage error") {
  const std::string good = format_key_export({MasterKey::generate(), "id"});
  auto j = nlohmann::json::parse(good);
  CHECK(code_of("not json") == Code::usage);
  CHECK(code_of(R"({"format":"offsite-key","version":1})") == Code::usage);
  auto wrong_version = j;
  wrong_version["version"] = 2;
  CHECK(code_of(wrong_version.dump()) == Code::usage);
  auto short_key = j;
  short_key["master_key"]["chunker"] = "abcd";
  CHECK(code_of(short_key.dump()) == Code::usage);
  auto format_number = j;
  format_number["format"] = 7;
  CHECK(code_of(format_number.dump()) == Code::usage);
}

TEST_SUITE_END();
