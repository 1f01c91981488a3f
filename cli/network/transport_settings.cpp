// Weighing flags, environment and config.json into TransportSettings, the
// proxy password, and the "transport" keys of `offsite config`. The rules
// are in cli/network/transport_settings.hpp.
#include "cli/network/transport_settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/config/client_config.hpp"
#include "cli/config/passphrase.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

using Json = nlohmann::json;

namespace {

constexpr std::string_view k_config_origin = "config.json";
constexpr std::string_view k_password_hint =
    "give it with OFFSITE_PROXY_PASSWORD, --proxy-password-file FILE or \"offsite config set "
    "proxy_password_file FILE\" (a file only you can read); never in config.json";

// curl's order for an https:// URL: the protocol's variable before
// all_proxy, lower case before upper case.
constexpr const char* k_proxy_variables[] = {"https_proxy", "HTTPS_PROXY", "all_proxy",
                                             "ALL_PROXY"};
constexpr const char* k_no_proxy_variables[] = {"no_proxy", "NO_PROXY"};

struct Found {
  std::string name;
  std::string value;
};

std::optional<Found> first_set(const EnvLookup& env, const auto& names) {
  for (const char* name : names)
    if (auto value = env(name); value && !value->empty()) return Found{name, *value};
  return std::nullopt;
}

// The "transport" object of config.json, validated; every problem is
// collected so that the user fixes them all in one go.
struct FileSettings {
  std::optional<ProxyUrl> proxy;
  PortMap map;
  std::optional<transport::SourcePortRange> source_ports;
  std::vector<std::string> no_proxy;
  std::string proxy_password_file;
  std::uint64_t limit_upload_kib = 0;
  std::uint64_t limit_download_kib = 0;
};

// "limit_upload": a number of KiB/s (a string of digits is taken too).
std::optional<std::uint64_t> file_rate_limit(const Json& value, std::string& error) {
  if (value.is_number_unsigned())
    return parse_rate_limit(std::to_string(value.get<std::uint64_t>()), &error);
  if (value.is_string()) return parse_rate_limit(value.get<std::string>(), &error);
  error = "expected a number of KiB/s";
  return std::nullopt;
}

std::string known_keys() {
  std::string text;
  for (auto key : k_transport_keys)
    text += fmt::format("{}{}", text.empty() ? "" : ", ", key);
  return text;
}

std::string shown_key(const std::string& key) {
  if (key.size() <= 40 &&
      std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }))
    return fmt::format("\"{}\"", key);
  return "a key";
}

FileSettings read_file_settings(const Json& doc) {
  FileSettings file;
  std::vector<std::string> problems;
  if (!doc.is_object() && !doc.is_null()) {
    problems.push_back(fmt::format("expected a JSON object, not a JSON {}", doc.type_name()));
  } else if (doc.is_object()) {
    for (const auto& [key, value] : doc.items()) {
      std::string error;
      if (key == "proxy") {
        auto url =
            value.is_string() ? parse_proxy_url(value.get<std::string>(), &error) : std::nullopt;
        if (!value.is_string())
          problems.emplace_back("proxy: expected a proxy URL string");
        else if (!url)
          problems.push_back("proxy: " + error);
        else if (url->password)
          problems.emplace_back("proxy: holds a password; passwords never go in config.json "
                                "(remove it; OFFSITE_PROXY_PASSWORD or proxy_password_file)");
        else
          file.proxy = std::move(url);
      } else if (key == "map") {
        if (!value.is_object()) {
          problems.emplace_back("map: expected an object {\"SERVER_IP:PORT\": FIREWALL_PORT}");
          continue;
        }
        for (const auto& [server, port] : value.items()) {
          const bool port_ok = port.is_number_integer() && port.get<std::int64_t>() >= 1 &&
                               port.get<std::int64_t>() <= 65535;
          auto entry = parse_port_map(
              port_ok ? server + "=" + std::to_string(port.get<std::int64_t>()) : server + "=0",
              &error);
          if (!port_ok)
            problems.push_back(fmt::format("map: {}: the firewall port must be a number from 1 "
                                           "to 65535",
                                           shown_key(server)));
          else if (!entry)
            problems.push_back("map: " + error);
          else
            file.map.insert(entry->begin(), entry->end());
        }
      } else if (key == "source_ports") {
        auto range = value.is_string()
                         ? transport::SourcePortRange::parse(value.get<std::string>(), &error)
                         : std::nullopt;
        if (!range)
          problems.push_back("source_ports: " +
                             (value.is_string() ? error : "expected \"LOW-HIGH\""));
        else
          file.source_ports = range;
      } else if (key == "no_proxy") {
        std::string text;
        bool shape_ok = value.is_string() || value.is_array();
        if (value.is_string()) text = value.get<std::string>();
        if (value.is_array())
          for (const auto& item : value) {
            if (!item.is_string()) shape_ok = false;
            if (item.is_string()) text += item.get<std::string>() + ",";
          }
        auto list = shape_ok ? parse_no_proxy(text, true, &error) : std::nullopt;
        if (!shape_ok)
          problems.emplace_back("no_proxy: expected a list of addresses, subnets or names");
        else if (!list)
          problems.push_back(error);
        else
          file.no_proxy = std::move(*list);
      } else if (key == "proxy_password_file") {
        if (!value.is_string() || value.get<std::string>().empty())
          problems.emplace_back("proxy_password_file: expected a file name");
        else
          file.proxy_password_file = value.get<std::string>();
      } else if (key == "limit_upload" || key == "limit_download") {
        const auto limit = file_rate_limit(value, error);
        if (!limit)
          problems.push_back(fmt::format("{}: {}", key, error));
        else
          (key == "limit_upload" ? file.limit_upload_kib : file.limit_download_kib) = *limit;
      } else {
        problems.push_back(
            fmt::format("{} is not a transport setting (known: {})", shown_key(key), known_keys()));
      }
    }
  }
  if (!problems.empty()) {
    std::string message = "the \"transport\" settings of config.json are invalid:";
    for (const auto& problem : problems)
      message += "\n  " + problem;
    throw Error(Code::config, message,
                "fix them with \"offsite config set KEY VALUE\" / \"offsite config unset KEY\", "
                "or edit the file");
  }
  return file;
}

// "--proxy direct": no proxy for this command.
bool lower_equals_direct(std::string_view text) {
  constexpr std::string_view k_direct = "direct";
  return text.size() == k_direct.size() &&
         std::equal(text.begin(), text.end(), k_direct.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

Code code_for(std::string_view origin) {
  return origin.starts_with("--") ? Code::usage : Code::config;
}

std::string read_password_file(const std::string& path, std::string_view origin) {
  std::string password;
  try {
    password = read_secret_file(path, "proxy password");
  } catch (const Error& e) {
    throw Error(code_for(origin),
                fmt::format("cannot read the proxy password file {} (from {})", path, origin),
                "check the path and its permissions");
  }
  if (password.empty())
    throw Error(code_for(origin),
                fmt::format("the proxy password file {} (from {}) is empty", path, origin),
                "put the password on its first line");
  return password;
}

} // namespace

std::string TransportSettings::describe() const {
  std::string text = proxy ? proxy->describe() : "direct";
  if (proxy && proxy->scheme->uses_port_map())
    text += fmt::format(" ({} server{} mapped)", map.size(), map.size() == 1 ? "" : "s");
  if (proxy && !no_proxy.empty()) {
    std::string list;
    for (const auto& entry : no_proxy)
      list += (list.empty() ? "" : ",") + printable(entry);
    text += "; not for " + list;
  }
  if (source_ports) text += "; source ports " + source_ports->to_string();
  if (limit_upload_kib) text += fmt::format("; upload at most {} KiB/s", limit_upload_kib);
  if (limit_download_kib) text += fmt::format("; download at most {} KiB/s", limit_download_kib);
  return text;
}

std::optional<std::uint64_t> parse_rate_limit(std::string_view text, std::string* error) {
  std::uint64_t kib = 0;
  const auto* end = text.data() + text.size();
  const auto [at, ec] = std::from_chars(text.data(), end, kib);
  const auto fail = [&](std::string why) -> std::optional<std::uint64_t> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (text.empty() || ec != std::errc{} || at != end)
    return fail(fmt::format("\"{}\" is not a whole number of KiB/s", printable(text)));
  if (kib != 0 && (kib < k_min_rate_limit_kib || kib > k_max_rate_limit_kib))
    return fail(fmt::format("{} KiB/s is outside {} to {} (0 means no limit); below {} KiB/s "
                            "transfers would run into the connection's timeouts",
                            kib, k_min_rate_limit_kib, k_max_rate_limit_kib, k_min_rate_limit_kib));
  return kib;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
}

TransportSettings resolve_transport(const TransportFlags& flags, const Json& config_transport,
                                    const EnvLookup& env) {
  const FileSettings file = read_file_settings(config_transport);
  TransportSettings settings;
  std::string error;

  const auto proxy_env = flags.no_proxy ? std::nullopt : first_set(env, k_proxy_variables);
  if (!flags.proxy.empty()) {
    settings.proxy_origin = "--proxy";
    if (lower_equals_direct(flags.proxy)) {
      // An explicit direct connection, whatever the environment and config say.
    } else if (auto url = parse_proxy_url(flags.proxy, &error)) {
      settings.proxy = std::move(url);
    } else {
      throw Error(Code::usage, "--proxy: " + error,
                  "write it as socks5://[USER@]HOST[:PORT], socks4://, socks4a://, http://, or "
                  "mapped://HOST with --map; or \"direct\"");
    }
  } else if (proxy_env) {
    settings.proxy_origin = proxy_env->name;
    auto url = parse_proxy_url(proxy_env->value, &error);
    if (!url)
      throw Error(Code::config,
                  fmt::format("the environment variable {}: {}", proxy_env->name, error),
                  fmt::format("fix or unset {}, or pass --no-proxy to ignore the proxy "
                              "variables of the environment",
                              proxy_env->name));
    settings.proxy = std::move(url);
  } else if (file.proxy) {
    settings.proxy_origin = k_config_origin;
    settings.proxy = file.proxy;
  }
  if (!flags.map.empty()) {
    std::string joined;
    for (const auto& entry : flags.map)
      joined += entry + ",";
    auto map = parse_port_map(joined, &error);
    if (!map)
      throw Error(Code::usage, "--map: " + error,
                  "write --map SERVER_IP=PORT once for each data-centre server");
    settings.map = std::move(*map);
    if (!settings.proxy || !settings.proxy->scheme->uses_port_map())
      throw Error(
          Code::usage,
          fmt::format("--map is for a mapped proxy firewall, but this command goes {}",
                      settings.proxy ? "through the " + settings.proxy->describe() : "direct"),
          "add --proxy mapped://FIREWALL_HOST, or drop --map");
  } else {
    settings.map = file.map;
  }
  if (settings.proxy && settings.proxy->scheme->uses_port_map() && settings.map.empty())
    throw Error(code_for(settings.proxy_origin),
                fmt::format("the {} (from {}) needs the firewall's port for each data-centre "
                            "server, and no map is given",
                            settings.proxy->describe(), settings.proxy_origin),
                "pass --map SERVER_IP=PORT for each server, or save them with \"offsite config "
                "set map SERVER_IP=PORT\"");

  if (!flags.source_ports.empty()) {
    settings.source_ports = transport::SourcePortRange::parse(flags.source_ports, &error);
    if (!settings.source_ports)
      throw Error(Code::usage, "--source-ports: " + error,
                  "write it as LOW-HIGH, as in --source-ports 1024-5000");
  } else {
    settings.source_ports = file.source_ports;
  }

  const auto no_proxy_env = flags.no_proxy ? std::nullopt : first_set(env, k_no_proxy_variables);
  if (no_proxy_env) {
    settings.no_proxy = parse_no_proxy(no_proxy_env->value, false).value_or(settings.no_proxy);
    settings.no_proxy_origin = no_proxy_env->name;
  } else if (!file.no_proxy.empty()) {
    settings.no_proxy = file.no_proxy;
    settings.no_proxy_origin = k_config_origin;
  }

  const auto limit = [&](const std::string& flag_value, const char* flag, std::uint64_t from_file) {
    if (flag_value.empty()) return from_file;
    const auto kib = parse_rate_limit(flag_value, &error);
    if (!kib)
      throw Error(Code::usage, fmt::format("{}: {}", flag, error),
                  fmt::format("give KiB/s, as in {} 2048 (2 MiB/s), or 0 for no limit", flag));
    return *kib;
  };
  settings.limit_upload_kib = limit(flags.limit_upload, "--limit-upload", file.limit_upload_kib);
  settings.limit_download_kib =
      limit(flags.limit_download, "--limit-download", file.limit_download_kib);

  if (!flags.proxy_password_file.empty()) {
    settings.proxy_password_file = flags.proxy_password_file;
    settings.proxy_password_file_origin = "--proxy-password-file";
  } else if (!file.proxy_password_file.empty()) {
    settings.proxy_password_file = file.proxy_password_file;
    settings.proxy_password_file_origin = k_config_origin;
  }
  return settings;
}

SecretPrompt terminal_prompt() {
  return [](std::string_view prompt) -> std::optional<std::string> {
    if (!isatty(STDIN_FILENO)) return std::nullopt;
    return prompt_secret(prompt);
  };
}

void resolve_proxy_password(TransportSettings& settings, const EnvLookup& env,
                            const SecretPrompt& prompt) {
  if (!settings.proxy || !settings.proxy->wants_password()) return;
  // NO_PROXY=* sends everything direct: the proxy is never used.
  if (std::find(settings.no_proxy.begin(), settings.no_proxy.end(), "*") != settings.no_proxy.end())
    return;
  auto& proxy = *settings.proxy;
  if (settings.proxy_password_file_origin == "--proxy-password-file") {
    proxy.password = read_password_file(settings.proxy_password_file, "--proxy-password-file");
    return;
  }
  if (proxy.password) return;
  if (auto value = env("OFFSITE_PROXY_PASSWORD"); value && !value->empty()) {
    proxy.password = *value;
    return;
  }
  if (!settings.proxy_password_file.empty()) {
    proxy.password =
        read_password_file(settings.proxy_password_file, settings.proxy_password_file_origin);
    return;
  }
  if (auto typed = prompt(fmt::format("Password for the {}: ", proxy.describe()))) {
    proxy.password = std::move(*typed);
    return;
  }
  throw Error(Code::passphrase_required,
              fmt::format("the {} (from {}) needs a password, and there is no terminal to ask on",
                          proxy.describe(), settings.proxy_origin),
              std::string(k_password_hint));
}

TransportSettings transport_settings(const TransportFlags& flags, const Json& config_transport) {
  const auto env = process_environment();
  auto settings = resolve_transport(flags, config_transport, env);
  resolve_proxy_password(settings, env, terminal_prompt());
  return settings;
}

// --- offsite config set/unset ----------------------------------------------

Json set_transport_key(Json transport, std::string_view key, std::string_view value) {
  if (!transport.is_object()) transport = Json::object();
  std::string error;
  if (key == "proxy") {
    if (lower_equals_direct(value))
      throw Error(Code::usage, "\"direct\" is what no proxy means in config.json",
                  "run \"offsite config unset proxy\"");
    auto url = parse_proxy_url(value, &error);
    if (!url)
      throw Error(Code::usage, "proxy: " + error,
                  "write it as socks5://[USER@]HOST[:PORT], socks4://, socks4a://, http:// or "
                  "mapped://HOST");
    if (url->password)
      throw Error(Code::usage, "a proxy password never goes in config.json",
                  "remove it from the URL; " + std::string(k_password_hint));
    transport["proxy"] = url->redacted();
  } else if (key == "map") {
    auto map = parse_port_map(value, &error);
    if (!map)
      throw Error(Code::usage, "map: " + error,
                  "write SERVER_IP=PORT (several separated by commas), as in "
                  "193.239.112.10=40001");
    Json& entries = transport["map"];
    if (!entries.is_object()) entries = Json::object();
    for (const auto& [server, port] : *map)
      entries[server.to_string()] = port;
  } else if (key == "source_ports") {
    auto range = transport::SourcePortRange::parse(value, &error);
    if (!range)
      throw Error(Code::usage, "source_ports: " + error, "write it as LOW-HIGH, as in 1024-5000");
    transport["source_ports"] = range->to_string();
  } else if (key == "no_proxy") {
    auto list = parse_no_proxy(value, true, &error);
    if (!list)
      throw Error(Code::usage, error,
                  "list IP addresses, subnets (CIDR), host names or *, separated by commas");
    if (list->empty())
      throw Error(Code::usage, "no_proxy: the list is empty",
                  "run \"offsite config unset no_proxy\" to clear it");
    transport["no_proxy"] = *list;
  } else if (key == "proxy_password_file") {
    if (value.empty())
      throw Error(Code::usage, "proxy_password_file: the file name is empty",
                  "run \"offsite config unset proxy_password_file\" to clear it");
    // Absolute, so that cron (another working directory) finds it too.
    transport["proxy_password_file"] = std::filesystem::absolute(std::string(value)).string();
  } else if (key == "limit_upload" || key == "limit_download") {
    const auto kib = parse_rate_limit(value, &error);
    if (!kib)
      throw Error(Code::usage, fmt::format("{}: {}", key, error),
                  "give KiB/s, as in 2048 (2 MiB/s); \"offsite config unset " + std::string(key) +
                      "\" removes the limit");
    transport[std::string(key)] = *kib;
  } else {
    throw Error(Code::usage, fmt::format("\"{}\" is not a transport key", printable(key)),
                "the transport keys are " + known_keys());
  }
  read_file_settings(transport); // the object as a whole stays valid
  return transport;
}

Json unset_transport_key(Json transport, std::string_view key, std::string_view entry) {
  if (!transport.is_object()) transport = Json::object();
  if (std::find(std::begin(k_transport_keys), std::end(k_transport_keys), key) ==
      std::end(k_transport_keys))
    throw Error(Code::usage, fmt::format("\"{}\" is not a transport key", printable(key)),
                "the transport keys are " + known_keys());
  if (!entry.empty()) {
    if (key != "map")
      throw Error(Code::usage, fmt::format("only map takes an entry to unset, not {}", key),
                  fmt::format("run \"offsite config unset {}\"", key));
    std::string error;
    auto server = transport::parse_endpoint(entry, &error, {false, k_service_port});
    if (!server) throw Error(Code::usage, "map: the server " + error);
    auto map = transport.find("map");
    if (map == transport.end() || !map->is_object() || !map->contains(server->to_string()))
      throw Error(Code::usage, fmt::format("the map has no entry for {}", server->to_string()),
                  "\"offsite config show\" lists the entries");
    map->erase(server->to_string());
    if (map->empty()) transport.erase("map");
    return transport;
  }
  transport.erase(std::string(key));
  return transport;
}

} // namespace offsite::cli
