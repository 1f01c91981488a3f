// offsite config show | set KEY VALUE [KEY VALUE]... | unset KEY [SERVER_IP]...
//
// Edits config.json in place of a text editor: every value is checked as
// the matching flag checks it, the file is written atomically, and only
// when the whole edit is valid (several keys in one command, so that a data
// centre's subnets and registration pair can move together). config.json
// holds no secret; the proxy password is refused there.
#include <algorithm>
#include <filesystem>
#include <sys/stat.h>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/config/client_config.hpp"
#include "cli/config/paths.hpp"
#include "cli/network/transport_settings.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/text.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

using Json = nlohmann::json;

namespace {

constexpr std::string_view k_data_centre_keys[] = {"fingerprint", "subnets", "registration"};
constexpr std::string_view k_fixed_keys[] = {"account_id", "storage", "network_map_version",
                                             "schema"};

struct ConfigOptions {
  std::vector<std::string> words; // set: KEY VALUE pairs; unset: KEY [SERVER_IP]...
};

bool contains(const auto& list, std::string_view key) {
  return std::find(std::begin(list), std::end(list), key) != std::end(list);
}

std::vector<std::string_view> all_keys() {
  std::vector<std::string_view> keys(std::begin(k_data_centre_keys), std::end(k_data_centre_keys));
  keys.insert(keys.end(), std::begin(k_transport_keys), std::end(k_transport_keys));
  return keys;
}

// "source-ports" (the flag's spelling) is source_ports.
std::string normal_key(std::string_view key) {
  std::string out(key);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

[[noreturn]] void unknown_key(std::string_view key) {
  if (contains(k_fixed_keys, key))
    throw Error(Code::usage,
                fmt::format("{} is set by registration and the data centre, not by hand", key),
                "run \"offsite register\"; \"offsite config show\" prints it");
  std::string keys;
  std::string_view best;
  std::size_t best_distance = 3;
  for (auto known : all_keys()) {
    keys += fmt::format("{}{}", keys.empty() ? "" : ", ", known);
    if (const auto d = edit_distance(key, known); d < best_distance) {
      best_distance = d;
      best = known;
    }
  }
  throw Error(Code::usage, fmt::format("\"{}\" is not a configuration key", printable(key)),
              best.empty() ? "the keys are " + keys
                           : fmt::format("did you mean \"{}\"? The keys are {}", best, keys));
}

std::vector<transport::Cidr> parse_subnets(std::string_view text) {
  std::vector<transport::Cidr> subnets;
  std::string rest(text);
  std::replace_if(
      rest.begin(), rest.end(), [](char c) { return c == ',' || c == '\t'; }, ' ');
  std::size_t at = 0;
  while (at < rest.size()) {
    const auto end = std::min(rest.find(' ', at), rest.size());
    if (end > at) {
      std::string error;
      auto subnet = transport::Cidr::parse(std::string_view(rest).substr(at, end - at), &error);
      if (!subnet) throw Error(Code::usage, "subnets: " + error);
      subnets.push_back(*subnet);
    }
    at = end + 1;
  }
  if (subnets.empty())
    throw Error(Code::usage, "subnets: no subnet given",
                "list the data centre's subnets, as in 193.239.112.0/24,193.239.113.0/24");
  return subnets;
}

void set_data_centre_key(ClientConfig& config, const std::string& key, const std::string& value) {
  std::string error;
  if (key == "fingerprint") {
    auto normal = normalize_fingerprint(value);
    if (!normal)
      throw Error(Code::usage,
                  fmt::format("fingerprint: \"{}\" is not a SHA-256 fingerprint", printable(value)),
                  "write it as sha256: followed by 64 hex digits, as \"offsited fingerprint\" "
                  "prints it");
    config.fingerprint = *normal;
  } else if (key == "subnets") {
    config.subnets = parse_subnets(value);
  } else if (key == "registration") {
    auto pair = parse_pair(value, &error);
    if (!pair) throw Error(Code::usage, "registration: " + error);
    config.registration = *pair;
  }
}

void unset_data_centre_key(ClientConfig& config, const std::string& key) {
  const ClientConfig built_in = built_in_config();
  if (key == "fingerprint") config.fingerprint = built_in.fingerprint;
  if (key == "subnets") config.subnets = built_in.subnets;
  if (key == "registration") config.registration = built_in.registration;
}

// The edited config as a whole: no server outside the subnets.
void check_consistent(const ClientConfig& config) {
  if (auto outside = outside_subnets(config.registration.both(), config.subnets))
    throw Error(Code::usage, fmt::format("the registration pair: {}", *outside),
                "change subnets and registration in one command: offsite config set subnets "
                "CIDR,CIDR registration IP,IP");
  if (config.storage)
    if (auto outside = outside_subnets(config.storage->both(), config.subnets))
      throw Error(Code::usage, fmt::format("the account's storage pair: {}", *outside),
                  "keep the subnets that hold the storage pair");
}

// What the user should know after a change: the environment overriding
// it, a mapped firewall without a map, a password file others can read.
void advise(const ClientConfig& config, Terminal& terminal) {
  try {
    const auto settings = resolve_transport({}, config.transport, process_environment());
    if (config.transport.contains("proxy") && settings.proxy_origin != "config.json")
      terminal.warning(fmt::format("{} overrides the saved proxy for every command; unset it or "
                                   "pass --no-proxy",
                                   settings.proxy_origin));
    if (config.transport.contains("no_proxy") && settings.no_proxy_origin != "config.json")
      terminal.warning(fmt::format("{} overrides the saved no_proxy; unset it or pass --no-proxy",
                                   settings.no_proxy_origin));
  } catch (const Error& e) {
    terminal.warning(e.what());
  }
  if (auto file = config.transport.find("proxy_password_file");
      file != config.transport.end() && file->is_string()) {
    struct stat st {};
    const std::string path = file->get<std::string>();
    if (::stat(path.c_str(), &st) != 0)
      terminal.warning(fmt::format("the proxy password file {} does not exist yet", path));
    else if ((st.st_mode & 077) != 0)
      terminal.warning(fmt::format("other users may read the proxy password file {}; run "
                                   "\"chmod 600 {}\"",
                                   path, path));
  }
}

ClientConfig load_or_built_in(const std::filesystem::path& dir) {
  // built_in_config, not default_config: the environment's overrides must
  // not be baked into the file.
  return load_config(dir).value_or(built_in_config());
}

Json pair_json(const ServerPair& pair) {
  return Json::array({pair.primary.to_string(), pair.alternate.to_string()});
}

Json config_json(const ClientConfig& config) {
  Json subnets = Json::array();
  for (const auto& subnet : config.subnets)
    subnets.push_back(subnet.to_string());
  return {{"fingerprint", config.fingerprint},
          {"subnets", std::move(subnets)},
          {"registration", pair_json(config.registration)},
          {"account_id", config.account_id ? Json(*config.account_id) : Json()},
          {"storage", config.storage ? pair_json(*config.storage) : Json()},
          {"network_map_version", config.network_map_version},
          {"transport", config.transport}};
}

Json effective_json(const GlobalOptions& global, const ClientConfig& config) {
  Json effective = Json::object();
  std::vector<std::string> overrides;
  for (const char* name : {"OFFSITE_FINGERPRINT", "OFFSITE_SUBNETS", "OFFSITE_REGISTRATION"})
    if (const char* value = std::getenv(name); value && *value) overrides.emplace_back(name);
  effective["environment_overrides"] = overrides;
  try {
    const auto settings =
        resolve_transport(global.transport, config.transport, process_environment());
    effective["transport"] = settings.describe();
    effective["proxy"] = settings.proxy ? Json(settings.proxy->redacted()) : Json();
    effective["proxy_origin"] =
        settings.proxy_origin.empty() ? Json() : Json(settings.proxy_origin);
    Json map = Json::object();
    for (const auto& [server, port] : settings.map)
      map[server.to_string()] = port;
    effective["map"] = std::move(map);
    effective["no_proxy"] = settings.no_proxy;
    effective["no_proxy_origin"] =
        settings.no_proxy_origin.empty() ? Json() : Json(settings.no_proxy_origin);
    effective["source_ports"] =
        settings.source_ports ? Json(settings.source_ports->to_string()) : Json();
  } catch (const Error& e) {
    effective["error"] = e.what();
  }
  return effective;
}

std::string text_of(const Json& value) {
  if (value.is_null()) return "(none)";
  if (value.is_string())
    return value.get<std::string>().empty() ? "(none)" : printable(value.get<std::string>());
  if (value.is_array()) {
    std::string text;
    for (const auto& item : value)
      text += (text.empty() ? "" : ", ") + text_of(item);
    return text.empty() ? "(none)" : text;
  }
  if (value.is_object()) {
    std::string text;
    for (const auto& [key, item] : value.items())
      text += (text.empty() ? "" : ", ") + printable(key) + "=" + text_of(item);
    return text.empty() ? "(none)" : text;
  }
  return value.dump();
}

int run_config_show(const GlobalOptions& global, Terminal& terminal) {
  const auto dir = config_dir(global);
  const auto loaded = load_config(dir);
  const ClientConfig config = loaded.value_or(built_in_config());
  const Json effective = effective_json(global, config);
  const bool has_credentials = std::filesystem::exists(credentials_file(dir));
  if (terminal.json()) {
    terminal.emit({{"type", "config"},
                   {"file", config_file(dir).string()},
                   {"exists", loaded.has_value()},
                   {"config", config_json(config)},
                   {"credentials_file", credentials_file(dir).string()},
                   {"credentials_present", has_credentials},
                   {"effective", effective}});
    return 0;
  }
  std::string text = fmt::format("{}{}\n", config_file(dir).string(),
                                 loaded ? "" : " (not created yet: built-in defaults)");
  const Json doc = config_json(config);
  for (const char* key :
       {"fingerprint", "subnets", "registration", "account_id", "storage", "network_map_version"})
    text += fmt::format("  {:<20} {}\n", key, text_of(doc[key]));
  for (auto key : k_transport_keys)
    text += fmt::format("  {:<20} {}\n", key,
                        text_of(config.transport.value(std::string(key), Json())));
  text += fmt::format("{} ({})\n", credentials_file(dir).string(),
                      has_credentials ? "present; the secret is not shown" : "missing");
  text += "in effect for a command run like this one:\n";
  if (effective.contains("error")) {
    text += fmt::format("  {:<20} {}\n", "transport", "invalid, see the warning");
    terminal.warning(effective["error"].get<std::string>());
  } else {
    text += fmt::format("  {:<20} {}{}\n", "transport", effective["transport"].get<std::string>(),
                        effective["proxy_origin"].is_string()
                            ? " (from " + effective["proxy_origin"].get<std::string>() + ")"
                            : "");
  }
  if (!effective["environment_overrides"].empty())
    text +=
        fmt::format("  {:<20} {}\n", "environment", text_of(effective["environment_overrides"]));
  terminal.out(text);
  return 0;
}

void save_and_report(const std::filesystem::path& dir, const ClientConfig& config,
                     std::string_view action, const Json& keys, Terminal& terminal) {
  check_consistent(config);
  save_config(dir, config);
  advise(config, terminal);
  if (terminal.json())
    terminal.emit({{"type", "config_change"},
                   {"action", action},
                   {"file", config_file(dir).string()},
                   {"keys", keys}});
  else
    terminal.info(fmt::format("{} {} in {}", action == "set" ? "saved" : "removed", text_of(keys),
                              config_file(dir).string()));
}

int run_config_set(const GlobalOptions& global, const ConfigOptions& options, Terminal& terminal) {
  if (options.words.size() % 2 != 0)
    throw Error(Code::usage, "config set takes KEY VALUE pairs; the last key has no value",
                "example: offsite config set proxy socks5://proxy.example:1080");
  const auto dir = config_dir(global);
  ClientConfig config = load_or_built_in(dir);
  Json changed = Json::object();
  for (std::size_t i = 0; i < options.words.size(); i += 2) {
    const std::string key = normal_key(options.words[i]);
    const std::string& value = options.words[i + 1];
    if (contains(k_data_centre_keys, key))
      set_data_centre_key(config, key, value);
    else if (contains(k_transport_keys, key))
      config.transport = set_transport_key(config.transport, key, value);
    else
      unknown_key(key);
    const Json doc = config_json(config);
    changed[key] = doc.contains(key) ? doc[key] : config.transport[key];
  }
  save_and_report(dir, config, "set", changed, terminal);
  return 0;
}

int run_config_unset(const GlobalOptions& global, const ConfigOptions& options,
                     Terminal& terminal) {
  // Each key, and after "map" the servers whose entries alone go.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& word : options.words) {
    const std::string key = normal_key(word);
    if (contains(k_data_centre_keys, key) || contains(k_transport_keys, key))
      groups.push_back({key, {}});
    else if (!groups.empty() && groups.back().first == "map")
      groups.back().second.push_back(word);
    else
      unknown_key(key);
  }
  const auto dir = config_dir(global);
  ClientConfig config = load_or_built_in(dir);
  Json removed = Json::array();
  for (const auto& [key, entries] : groups) {
    if (contains(k_data_centre_keys, key)) {
      unset_data_centre_key(config, key);
      removed.push_back(key);
    } else if (entries.empty()) {
      config.transport = unset_transport_key(config.transport, key);
      removed.push_back(key);
    } else {
      for (const auto& entry : entries) {
        config.transport = unset_transport_key(config.transport, key, entry);
        removed.push_back(fmt::format("{} {}", key, printable(entry)));
      }
    }
  }
  save_and_report(dir, config, "unset", removed, terminal);
  return 0;
}

} // namespace

void register_config(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  auto* sub = app.add_subcommand("config", "Show or change the configuration (config.json)");
  sub->require_subcommand(1);
  sub->footer("Keys: fingerprint, subnets, registration, proxy, map, source_ports, no_proxy, "
              "proxy_password_file.\n\nExamples:\n"
              "  offsite config show\n"
              "  offsite config set proxy socks5://alice@proxy.example:1080\n"
              "  offsite config set proxy mapped://fw.example map 193.239.112.10=40001,"
              "193.239.113.10=40002\n"
              "  offsite config unset proxy map");

  auto* show = sub->add_subcommand("show", "Print the configuration and what is in effect");
  show->callback(
      [&global] { global.run = [&global](Terminal& t) { return run_config_show(global, t); }; });

  auto* set = sub->add_subcommand("set", "Set keys: KEY VALUE [KEY VALUE]...");
  set->add_option("KEY_VALUE", options->words, "Keys and their values")->required();
  set->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_config_set(global, *options, t); };
  });

  auto* unset = sub->add_subcommand("unset", "Remove keys (back to the default): KEY...");
  unset->add_option("KEY", options->words, "Keys, or map SERVER_IP for one map entry")->required();
  unset->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_config_unset(global, *options, t); };
  });
}

} // namespace offsite::cli
