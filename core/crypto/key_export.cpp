#include "core/crypto/key_export.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

#include "core/common/error.hpp"
#include "core/crypto/keys.hpp"

namespace offsite::core {
namespace {

constexpr std::string_view k_export_format = "offsite-key-export";
constexpr int k_export_version = 1;
constexpr std::string_view k_note =
    "The master key of an offsite repository, in clear: with it and the account credentials "
    "anyone can read these backups. Keep it offline (paper, a USB stick in a safe). If the "
    "passphrase is lost: offsite key passwd --from-export THIS_FILE";

[[noreturn]] void bad(std::string_view what) {
  throw Error(Code::usage, "not an offsite key export: " + std::string(what),
              "pass the file \"offsite key export\" wrote");
}

crypto::Key key_field(const nlohmann::json& parent, const char* name) {
  const auto it = parent.find(name);
  if (it == parent.end() || !it->is_string()) bad(std::string("missing ") + name);
  const auto bytes = from_hex(it->get<std::string>());
  if (!bytes || bytes->size() != crypto::k_key_size) bad(std::string("bad ") + name);
  crypto::Key key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

} // namespace

std::string format_key_export(const KeyExport& exported) {
  nlohmann::ordered_json j;
  j["format"] = k_export_format;
  j["version"] = k_export_version;
  j["note"] = k_note;
  j["repository_id"] = exported.repository_id;
  j["created"] = utc_now_iso();
  j["master_key"] = {{"encryption", to_hex(exported.key.encryption)},
                     {"id_mac", to_hex(exported.key.id_mac)},
                     {"chunker", to_hex(exported.key.chunker)}};
  return j.dump(2) + "\n";
}

KeyExport parse_key_export(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) bad("not JSON");
  const auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != k_export_format)
    bad("it does not say \"format\": \"offsite-key-export\"");
  const auto version = j.find("version");
  if (version == j.end() || !version->is_number_unsigned() ||
      version->get<std::uint64_t>() != static_cast<std::uint64_t>(k_export_version))
    bad("unknown version");
  const auto key = j.find("master_key");
  if (key == j.end() || !key->is_object()) bad("missing master_key");
  KeyExport out;
  if (const auto id = j.find("repository_id"); id != j.end() && id->is_string())
    out.repository_id = id->get<std::string>();
  out.key.encryption = key_field(*key, "encryption");
  out.key.id_mac = key_field(*key, "id_mac");
  out.key.chunker = key_field(*key, "chunker");
  return out;
}

} // namespace offsite::core
