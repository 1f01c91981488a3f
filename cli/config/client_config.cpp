#include "cli/config/client_config.hpp"
#include "cli/ui/text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/common/atomic_file.hpp"
#include "core/common/bytes.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "transport/tls/identity.hpp"
#include "transport/wire/messages.hpp"
#include "util/fd.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using transport::Cidr;
using transport::Endpoint;

namespace {

constexpr std::string_view k_pair_example = "193.239.112.10:16384,193.239.113.10:16384";
constexpr std::string_view k_subnets_example = "193.239.112.0/24,193.239.113.0/24";
constexpr std::size_t k_max_file_size = std::size_t{1} << 20;
constexpr std::size_t k_max_map_subnets = 64;

// --- text helpers ------------------------------------------------------------

std::vector<std::string_view> split_any(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find_first_of(separators);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Untrusted text is only ever quoted when it is short and printable.
std::string shown(std::string_view text) {
  if (text.size() <= 64 && util::is_printable_ascii(text)) return fmt::format("\"{}\"", text);
  return fmt::format("a {}-byte string", text.size());
}

std::string shown_json(const Json& value) {
  if (value.is_string()) return shown(std::string_view(value.get_ref<const std::string&>()));
  return fmt::format("a JSON {}", value.type_name());
}

std::string join_subnets(const std::vector<Cidr>& subnets) {
  std::string text;
  for (const auto& subnet : subnets)
    text += (text.empty() ? "" : ", ") + subnet.to_string();
  return text;
}

bool is_valid_account_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_';
  });
}

bool is_valid_secret(std::string_view secret) {
  return !secret.empty() && secret.size() <= 1024 && util::is_printable_ascii(secret);
}

// A JSON integer >= 0, whether nlohmann stored it signed (built in C++) or
// unsigned (parsed from text).
std::optional<std::uint64_t> as_unsigned(const Json& value) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  return std::nullopt;
}

// --- addresses ---------------------------------------------------------------

std::optional<Endpoint> parse_server(std::string_view text, std::uint16_t default_port,
                                     std::string* error) {
  std::string detail;
  auto endpoint = transport::parse_endpoint(text, &detail, {false, default_port});
  // parse_endpoint quotes the text: only pass that on when it is safe to show.
  if (!endpoint && error)
    *error = util::is_printable_ascii(text) && text.size() <= 64
                 ? detail
                 : fmt::format("{} is not an IP address with an optional :PORT", shown(text));
  return endpoint;
}

std::optional<ServerPair> make_pair(std::string_view primary, std::string_view alternate,
                                    std::uint16_t default_port, std::string* error) {
  auto fail = [&](std::string message) {
    if (error) *error = std::move(message);
    return std::optional<ServerPair>();
  };
  std::string detail;
  ServerPair pair;
  const std::pair<std::string_view, Endpoint*> sides[] = {{primary, &pair.primary},
                                                          {alternate, &pair.alternate}};
  for (const auto& [text, out] : sides) {
    const char* which = out == &pair.primary ? "primary" : "alternate";
    if (trim(text).empty()) return fail(fmt::format("the {} server is empty", which));
    auto endpoint = parse_server(trim(text), default_port, &detail);
    if (!endpoint) return fail(fmt::format("the {} server {}", which, detail));
    *out = std::move(*endpoint);
  }
  if (pair.primary == pair.alternate)
    return fail(fmt::format("the primary and the alternate are the same server ({}); give two "
                            "different servers",
                            pair.primary.to_string()));
  return pair;
}

// ["IP:PORT", "IP:PORT"], or (allow_text) the "IP:PORT,IP:PORT" text form.
std::optional<ServerPair> pair_from_json(const Json& value, std::uint16_t default_port,
                                         bool allow_text, std::string* error) {
  if (allow_text && value.is_string()) return parse_pair(value.get<std::string>(), error);
  if (!value.is_array() || value.size() != 2 || !value[0].is_string() || !value[1].is_string()) {
    if (error)
      *error = fmt::format("expected two servers as [\"IP:PORT\", \"IP:PORT\"] (primary, "
                           "alternate), not {}",
                           value.is_array() ? fmt::format("a list of {}", value.size())
                                            : shown_json(value));
    return std::nullopt;
  }
  return make_pair(value[0].get_ref<const std::string&>(), value[1].get_ref<const std::string&>(),
                   default_port, error);
}

std::optional<std::vector<Cidr>> parse_subnet_list(std::string_view text, std::string* error) {
  std::vector<Cidr> subnets;
  for (auto part : split_any(text, ", \t\r\n")) {
    if (part.empty()) continue;
    auto cidr = Cidr::parse(part, error);
    if (!cidr) return std::nullopt;
    subnets.push_back(*cidr);
  }
  if (subnets.empty()) {
    if (error) *error = fmt::format("no subnets given; expected CIDRs as in {}", k_subnets_example);
    return std::nullopt;
  }
  return subnets;
}

// --- files -------------------------------------------------------------------

[[noreturn]] void fail_io(const std::string& what) {
  const int error = errno;
  const Code code = error == ENOSPC || error == EDQUOT ? Code::no_space : Code::generic;
  throw Error(code, fmt::format("{}: {}", what, std::strerror(error)));
}

// Creates `dir` and its missing parents 0700 (XDG base directory spec),
// leaving the modes of existing directories alone.
void ensure_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  if (parent != dir) ensure_directory(parent);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST && fs::is_directory(dir, ec)) return;
    fail_io(fmt::format("cannot create the directory {}", dir.string()));
  }
  // The umask may have narrowed 0700 further than is useful.
  if (::chmod(dir.c_str(), 0700) != 0) fail_io(fmt::format("cannot chmod {}", dir.string()));
  core::fsync_directory(parent);
}

struct FileText {
  std::string text;
  mode_t mode = 0;
};

std::optional<FileText> read_small_file(const fs::path& path) {
  // O_NONBLOCK: a FIFO in place of the file must not hang the client.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    const int error = errno;
    throw Error(Code::config,
                fmt::format("cannot read {}: {}", path.string(), std::strerror(error)),
                "check the permissions of the file and its directory");
  }
  const util::Fd owner(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail_io(fmt::format("cannot stat {}", path.string()));
  if (!S_ISREG(st.st_mode))
    throw Error(Code::config, fmt::format("{} is not a regular file", path.string()),
                "move it out of the way");
  if (static_cast<std::uint64_t>(st.st_size) > k_max_file_size)
    throw Error(
        Code::config,
        fmt::format("{} is too large ({} bytes) to be an offsite file", path.string(), st.st_size),
        "move it out of the way");
  FileText file;
  file.mode = st.st_mode & 07777;
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_io(fmt::format("cannot read {}", path.string()));
    if (n == 0) break;
    file.text.append(buffer, static_cast<std::size_t>(n));
    if (file.text.size() > k_max_file_size)
      throw Error(Code::config, fmt::format("{} is too large to be an offsite file", path.string()),
                  "move it out of the way");
  }
  return file;
}

// Parses JSON without ever quoting the text back (a credentials file holds a
// secret): the message gives only the position.
Json parse_json_file(const std::string& text, const fs::path& path, std::string_view hint) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::size_t line = 1;
    std::size_t column = 1;
    const std::size_t end = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw Error(Code::config,
                fmt::format("{} is not valid JSON (error at line {}, column {})", path.string(),
                            line, column),
                std::string(hint));
  }
}

// Collects every problem of a file so the user fixes them all in one go.
class Problems {
public:
  explicit Problems(fs::path file) : m_file(std::move(file)) {}
  void add(std::string problem) { m_list.push_back(std::move(problem)); }
  void check_keys(const Json& doc, std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : doc.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string problem = fmt::format("unknown key {}", shown(std::string_view(key)));
      for (auto candidate : known) {
        if (edit_distance(key, candidate) <= 2) {
          problem += fmt::format("; did you mean \"{}\"?", candidate);
          break;
        }
      }
      add(std::move(problem));
    }
  }
  void throw_if_any(std::string hint) const {
    if (m_list.empty()) return;
    std::string message;
    for (const auto& problem : m_list)
      message += fmt::format("{}{}: {}", message.empty() ? "" : "\n", m_file.string(), problem);
    throw Error(Code::config, message, std::move(hint));
  }

private:
  fs::path m_file;
  std::vector<std::string> m_list;
};

constexpr std::string_view k_config_hint =
    "edit the file to fix it (it is JSON); nothing was changed";

ClientConfig config_from_json(const Json& doc, const fs::path& path) {
  if (!doc.is_object())
    throw Error(Code::config,
                fmt::format("{}: expected a JSON object, not {}", path.string(), shown_json(doc)),
                std::string(k_config_hint));
  const auto schema_it = doc.find("schema");
  const auto schema = schema_it == doc.end() ? std::nullopt : as_unsigned(*schema_it);
  if (!schema)
    throw Error(Code::config,
                fmt::format("{}: no \"schema\": 1 (is it an offsite config file?)", path.string()),
                std::string(k_config_hint));
  if (*schema != 1)
    throw Error(
        Code::config,
        fmt::format("{} has schema {}; this offsite understands schema 1", path.string(), *schema),
        "upgrade offsite to read it; nothing was changed");

  ClientConfig config = built_in_config();
  Problems problems(path);
  problems.check_keys(doc, {"schema", "fingerprint", "subnets", "registration", "account_id",
                            "storage", "network_map_version", "transport"});
  std::string error;
  if (auto it = doc.find("fingerprint"); it != doc.end()) {
    if (it->is_string() && it->get_ref<const std::string&>().empty()) {
      config.fingerprint.clear();
    } else if (auto fp =
                   it->is_string() ? normalize_fingerprint(it->get<std::string>()) : std::nullopt) {
      config.fingerprint = *fp;
    } else {
      problems.add("\"fingerprint\" is not a SHA-256 fingerprint (sha256: and 64 hex digits, "
                   "as \"offsited fingerprint\" prints it)");
    }
  }
  if (auto it = doc.find("subnets"); it != doc.end()) {
    std::vector<Cidr> subnets;
    if (it->is_string()) {
      if (auto parsed = parse_subnet_list(it->get<std::string>(), &error))
        subnets = *parsed;
      else
        problems.add("\"subnets\": " + error);
    } else if (it->is_array()) {
      for (std::size_t i = 0; i < it->size(); ++i) {
        const Json& item = (*it)[i];
        auto cidr = item.is_string() ? Cidr::parse(item.get<std::string>(), &error) : std::nullopt;
        if (cidr)
          subnets.push_back(*cidr);
        else
          problems.add(fmt::format("\"subnets\"[{}]: {}", i,
                                   item.is_string() ? error : "expected a CIDR string"));
      }
      if (it->empty())
        problems.add("\"subnets\" is empty: the client would refuse every server; the data "
                     "centre's are " +
                     std::string(k_subnets_example));
    } else {
      problems.add(fmt::format("\"subnets\": expected a list of CIDRs, not {}", shown_json(*it)));
    }
    config.subnets = std::move(subnets);
  }
  if (auto it = doc.find("registration"); it != doc.end()) {
    if (auto pair = pair_from_json(*it, k_service_port, true, &error))
      config.registration = *pair;
    else
      problems.add("\"registration\": " + error);
  }
  if (auto it = doc.find("account_id"); it != doc.end() && !it->is_null()) {
    if (it->is_string() && is_valid_account_id(it->get_ref<const std::string&>()))
      config.account_id = it->get<std::string>();
    else
      problems.add("\"account_id\" is not an account id (letters, digits, '-' and '_')");
  }
  if (auto it = doc.find("storage"); it != doc.end() && !it->is_null()) {
    if (auto pair = pair_from_json(*it, k_service_port, true, &error))
      config.storage = *pair;
    else
      problems.add("\"storage\": " + error);
  }
  if (auto it = doc.find("network_map_version"); it != doc.end()) {
    if (auto value = as_unsigned(*it))
      config.network_map_version = *value;
    else
      problems.add("\"network_map_version\" is not a non-negative integer");
  }
  if (auto it = doc.find("transport"); it != doc.end()) {
    if (it->is_object())
      config.transport = *it;
    else
      problems.add(fmt::format("\"transport\": expected a JSON object, not {}", shown_json(*it)));
  }
  problems.throw_if_any(std::string(k_config_hint));
  return config;
}

Json pair_to_json(const ServerPair& pair) {
  return Json::array({pair.primary.to_string(), pair.alternate.to_string()});
}

Json config_to_json(const ClientConfig& config) {
  Json subnets = Json::array();
  for (const auto& subnet : config.subnets)
    subnets.push_back(subnet.to_string());
  Json doc = {{"schema", config.schema},
              {"fingerprint", config.fingerprint},
              {"subnets", std::move(subnets)},
              {"registration", pair_to_json(config.registration)},
              {"network_map_version", config.network_map_version},
              {"transport", config.transport}};
  if (config.account_id) doc["account_id"] = *config.account_id;
  if (config.storage) doc["storage"] = pair_to_json(*config.storage);
  return doc;
}

} // namespace

// --- public: pairs, defaults, environment -------------------------------------

std::string ServerPair::to_string() const {
  return primary.to_string() + "," + alternate.to_string();
}

std::optional<ServerPair> parse_pair(std::string_view text, std::string* error) {
  const auto parts = split_any(text, ",");
  if (parts.size() != 2) {
    if (error) {
      const std::string got = trim(text).empty()  ? std::string("nothing")
                              : parts.size() == 1 ? std::string("one")
                                                  : std::to_string(parts.size());
      *error = fmt::format("expected two servers, the primary and the alternate separated by a "
                           "comma, as in {}; got {}",
                           k_pair_example, got);
    }
    return std::nullopt;
  }
  return make_pair(parts[0], parts[1], k_service_port, error);
}

ClientConfig built_in_config() {
  ClientConfig config;
  config.subnets = *parse_subnet_list(k_subnets_example, nullptr);
  config.registration = *parse_pair("193.239.112.10,193.239.113.10");
#ifdef OFFSITE_DEFAULT_FINGERPRINT
  constexpr std::string_view k_built_in_fingerprint = OFFSITE_DEFAULT_FINGERPRINT;
  if (!k_built_in_fingerprint.empty()) {
    auto fingerprint = normalize_fingerprint(k_built_in_fingerprint);
    if (!fingerprint)
      throw Error(Code::config, "the fingerprint built into this offsite is malformed",
                  "rebuild with -DOFFSITE_DEFAULT_FINGERPRINT=sha256:<64 hex digits>");
    config.fingerprint = *fingerprint;
  }
#endif
  return config;
}

void apply_environment(ClientConfig& config) {
  auto variable = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (!value || !*value) return std::nullopt;
    return std::string(value);
  };
  std::string error;
  if (auto text = variable("OFFSITE_REGISTRATION")) {
    auto pair = parse_pair(*text, &error);
    if (!pair)
      throw Error(
          Code::config, "OFFSITE_REGISTRATION: " + error,
          fmt::format("set it to the registration pair, as in {}, or unset it", k_pair_example));
    config.registration = *pair;
  }
  if (auto text = variable("OFFSITE_SUBNETS")) {
    auto subnets = parse_subnet_list(*text, &error);
    if (!subnets)
      throw Error(Code::config, "OFFSITE_SUBNETS: " + error,
                  fmt::format("set it to the data centre's subnets, as in \"{}\", or unset it",
                              k_subnets_example));
    config.subnets = std::move(*subnets);
  }
  if (auto text = variable("OFFSITE_FINGERPRINT")) {
    auto fingerprint = normalize_fingerprint(*text);
    if (!fingerprint)
      throw Error(Code::config,
                  "OFFSITE_FINGERPRINT is not a SHA-256 fingerprint (sha256: and 64 hex digits)",
                  "set it to what \"offsited fingerprint\" prints, or unset it");
    config.fingerprint = *fingerprint;
  }
}

ClientConfig default_config() {
  ClientConfig config = built_in_config();
  apply_environment(config);
  return config;
}

std::optional<std::string> normalize_fingerprint(std::string_view text) {
  text = trim(text);
  std::string prefix(text.substr(0, 7));
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (prefix == "sha256:") return transport::normalize_fingerprint(text);
  return transport::normalize_fingerprint("sha256:" + std::string(text)); // the bare form
}

std::optional<std::string> outside_subnets(const std::vector<Endpoint>& endpoints,
                                           const std::vector<Cidr>& subnets) {
  for (const auto& endpoint : endpoints) {
    const bool inside = std::any_of(subnets.begin(), subnets.end(), [&](const Cidr& subnet) {
      return subnet.contains(std::string_view(endpoint.host));
    });
    if (inside) continue;
    if (subnets.empty())
      return fmt::format("the server address {} is outside the known server subnets (none are "
                         "configured)",
                         endpoint.to_string());
    return fmt::format("the server address {} is outside the known server subnets ({})",
                       endpoint.to_string(), join_subnets(subnets));
  }
  return std::nullopt;
}

// --- public: files -------------------------------------------------------------

fs::path config_file(const fs::path& dir) { return dir / "config.json"; }
fs::path credentials_file(const fs::path& dir) { return dir / "credentials.json"; }

std::optional<ClientConfig> load_config(const fs::path& dir) {
  const fs::path path = config_file(dir);
  auto file = read_small_file(path);
  if (!file) return std::nullopt;
  return config_from_json(parse_json_file(file->text, path, k_config_hint), path);
}

void save_config(const fs::path& dir, const ClientConfig& config) {
  ensure_directory(dir);
  // transport is kept verbatim; replace rather than throw on invalid UTF-8.
  const std::string text =
      config_to_json(config).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  core::write_file_atomically(config_file(dir), text, 0600);
}

std::optional<Credentials> load_credentials(const fs::path& dir) {
  const fs::path path = credentials_file(dir);
  auto file = read_small_file(path);
  if (!file) return std::nullopt;
  if ((file->mode & 0077) != 0)
    throw Error(Code::config,
                fmt::format("{} holds the account secret but other users may access it (mode "
                            "{:04o}); refusing to use it",
                            path.string(), file->mode),
                fmt::format("run \"chmod 600 {}\"", path.string()));
  const std::string hint = fmt::format(
      "restore the file from a backup, or attach this machine again with \"offsite register "
      "--existing\" (move {} away first)",
      path.string());
  const Json doc = parse_json_file(file->text, path, hint);
  Problems problems(path);
  if (!doc.is_object()) {
    problems.add(fmt::format("expected a JSON object, not {}", shown_json(doc)));
    problems.throw_if_any(hint);
  }
  problems.check_keys(doc, {"account_id", "secret"});
  Credentials credentials;
  const auto id = doc.find("account_id");
  if (id != doc.end() && id->is_string() && is_valid_account_id(id->get_ref<const std::string&>()))
    credentials.account_id = id->get<std::string>();
  else
    problems.add("no valid \"account_id\"");
  const auto secret = doc.find("secret");
  if (secret != doc.end() && secret->is_string() &&
      is_valid_secret(secret->get_ref<const std::string&>()))
    credentials.secret = secret->get<std::string>();
  else
    problems.add("no valid \"secret\"");
  problems.throw_if_any(hint);
  return credentials;
}

void save_credentials(const fs::path& dir, const Credentials& credentials) {
  if (!is_valid_account_id(credentials.account_id) || !is_valid_secret(credentials.secret))
    throw Error(Code::config, "refusing to save malformed credentials (account id or secret)",
                "this is a bug or a misbehaving server; nothing was saved");
  ensure_directory(dir);
  const Json doc = {{"account_id", credentials.account_id}, {"secret", credentials.secret}};
  core::write_file_atomically(credentials_file(dir), doc.dump(2) + "\n", 0600);
}

// --- public: network map ---------------------------------------------------------

MapUpdate apply_network_map(const ClientConfig& config, const Json& map,
                            const Json& account_storage) {
  namespace map_field = transport::wire::network_map_field;
  auto refuse = [&](std::string reason) {
    return MapUpdate{MapUpdate::Outcome::refused, config, std::move(reason)};
  };
  try {
    if (!map.is_object())
      return refuse(fmt::format("the network map is {}, not a JSON object", shown_json(map)));

    const auto version_it = map.find(map_field::version);
    const auto version = version_it == map.end() ? std::nullopt : as_unsigned(*version_it);
    if (!version)
      return refuse("the network map has no valid \"version\" (a non-negative integer)");
    if (*version < config.network_map_version)
      return MapUpdate{MapUpdate::Outcome::unchanged, config,
                       fmt::format("ignored the server's network map version {}: this client "
                                   "already has version {}",
                                   *version, config.network_map_version)};

    std::uint16_t port = k_service_port;
    if (const auto it = map.find(map_field::port); it != map.end() && !it->is_null()) {
      const auto value = as_unsigned(*it);
      if (!value || *value < 1 || *value > 65535)
        return refuse("the network map's \"port\" is not a port number (1 to 65535)");
      port = static_cast<std::uint16_t>(*value);
    }

    ClientConfig updated = config;
    if (const auto it = map.find(map_field::subnets); it != map.end() && !it->is_null()) {
      if (!it->is_array())
        return refuse(
            fmt::format("the network map's \"subnets\" is {}, not a list", shown_json(*it)));
      if (it->size() > k_max_map_subnets)
        return refuse(fmt::format("the network map lists {} subnets; at most {} are accepted",
                                  it->size(), k_max_map_subnets));
      std::vector<Cidr> subnets;
      for (std::size_t i = 0; i < it->size(); ++i) {
        const Json& item = (*it)[i];
        auto cidr =
            item.is_string() ? Cidr::parse(item.get_ref<const std::string&>()) : std::nullopt;
        if (!cidr)
          return refuse(fmt::format("the network map's \"subnets\"[{}] is {}, not a subnet in "
                                    "CIDR notation",
                                    i, shown_json(item)));
        const unsigned widest = cidr->network.family == transport::IpAddress::Family::v4 ? 8 : 32;
        if (cidr->prefix_length < widest)
          return refuse(fmt::format("the network map's subnet {} is broader than /{}",
                                    cidr->to_string(), widest));
        if (std::find(subnets.begin(), subnets.end(), *cidr) == subnets.end())
          subnets.push_back(*cidr);
      }
      if (!subnets.empty()) updated.subnets = std::move(subnets);
    }

    std::string error;
    std::vector<Endpoint> moved; // every address the update brings in
    if (const auto it = map.find(map_field::registration);
        it != map.end() && !it->is_null() && !(it->is_array() && it->empty())) {
      auto pair = pair_from_json(*it, port, false, &error);
      if (!pair) return refuse("the network map's \"registration\": " + error);
      updated.registration = *pair;
      moved.push_back(pair->primary);
      moved.push_back(pair->alternate);
    }
    if (!account_storage.is_null()) {
      auto pair = pair_from_json(account_storage, port, false, &error);
      if (!pair) return refuse("the account's storage pair: " + error);
      updated.storage = *pair;
      moved.push_back(pair->primary);
      moved.push_back(pair->alternate);
    }

    if (auto outside = outside_subnets(moved, config.subnets))
      return refuse(*outside + "; a server may only move the client within subnets it knows");
    std::vector<Endpoint> kept = updated.registration.both();
    if (updated.storage) {
      kept.push_back(updated.storage->primary);
      kept.push_back(updated.storage->alternate);
    }
    if (auto outside = outside_subnets(kept, updated.subnets))
      return refuse(*outside + " once the network map's subnets replace them");

    updated.network_map_version = *version;
    const auto outcome =
        updated == config ? MapUpdate::Outcome::unchanged : MapUpdate::Outcome::accepted;
    return MapUpdate{outcome, std::move(updated), {}};
  } catch (const Json::exception&) {
    // Every access above is type-checked first; this is a safety net only.
    return refuse("the network map is malformed");
  }
}

} // namespace offsite::cli
