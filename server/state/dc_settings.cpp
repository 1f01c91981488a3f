#include "server/state/dc_settings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"

namespace offsite::server {

namespace {

constexpr std::string_view k_prefix = "settings/";
// Reads that lost a race with a newer version, before giving up.
constexpr int k_load_rounds = 8;

std::string key_of(std::uint64_t seq) { return fmt::format("{}{:010}", k_prefix, seq); }

nlohmann::json settings_to_json(const DataCentreSettings& s) {
  return {{"registration", s.registration == RegistrationMode::invite ? "invite" : "open"},
          {"storage_pair", s.storage_pair},
          {"registration_pair", s.registration_pair},
          {"subnets", s.subnets},
          {"port", s.port},
          {"default_quota", s.default_quota},
          {"default_quota_objects", s.default_quota_objects}};
}

DataCentreSettings settings_from_json(const nlohmann::json& j) {
  DataCentreSettings s;
  const auto mode = j.at("registration").get<std::string>();
  if (mode != "open" && mode != "invite") throw std::invalid_argument("unknown registration mode");
  s.registration = mode == "invite" ? RegistrationMode::invite : RegistrationMode::open;
  s.storage_pair = j.at("storage_pair").get<std::vector<std::string>>();
  s.registration_pair = j.at("registration_pair").get<std::vector<std::string>>();
  s.subnets = j.at("subnets").get<std::vector<std::string>>();
  s.port = j.at("port").get<std::uint16_t>();
  s.default_quota = j.at("default_quota").get<std::uint64_t>();
  s.default_quota_objects = j.at("default_quota_objects").get<std::uint64_t>();
  return s;
}

} // namespace

std::string describe(const DataCentreSettings& s) {
  return fmt::format("registration {}, storage pair [{}], registration pair [{}], subnets [{}], "
                     "port {}, default quota {} bytes, {} objects",
                     s.registration == RegistrationMode::invite ? "invite" : "open",
                     fmt::join(s.storage_pair, ", "), fmt::join(s.registration_pair, ", "),
                     fmt::join(s.subnets, ", "), s.port, s.default_quota, s.default_quota_objects);
}

std::optional<SettingsStore::Versioned> SettingsStore::load() {
  // A newer version removes the older ones after it is written: one that
  // vanished between the listing and the read has a successor.
  for (int round = 0; round < k_load_rounds; ++round) {
    const auto versions = core::list_all(m_store, k_prefix);
    if (versions.empty()) return std::nullopt;
    const std::string& key = versions.back().key;
    const auto data = m_store.get(key);
    if (!data) continue;
    Versioned out;
    try {
      out.seq = std::stoull(key.substr(k_prefix.size()));
      out.settings = settings_from_json(nlohmann::json::parse(as_string(*data)));
    } catch (const std::exception& e) {
      throw Error(Code::integrity,
                  fmt::format("the data centre's settings ({}) are damaged: {}", key, e.what()),
                  "remove that object from the store; the next offsited serve then writes the "
                  "settings its flags give");
    }
    return out;
  }
  throw Error(Code::generic, "the data centre's settings kept changing while they were read",
              "try again");
}

bool SettingsStore::store_next(const DataCentreSettings& settings, std::uint64_t after_seq) {
  const std::string key = key_of(after_seq + 1);
  if (!m_store.put(key, as_bytes(settings_to_json(settings).dump()))) return false;
  for (const auto& old : core::list_all(m_store, k_prefix))
    if (old.key < key) m_store.remove(old.key);
  return true;
}

} // namespace offsite::server
