#pragma once
// The client's configuration (config.json) and credentials (credentials.json)
// in the config directory, the built-in defaults of PRODUCT.md §1 with their
// environment overrides, and the one rule by which a server may move the
// client: a network map.
//
// config.json (schema 1; written 0600 in a 0700 directory, atomically):
//   {"schema": 1,
//    "fingerprint": "sha256:<64 hex>" or "",       pinned data-centre CA
//    "subnets": ["193.239.112.0/24", ...],          the known server subnets
//    "registration": ["IP:PORT", "IP:PORT"],        primary, alternate
//    "account_id": "...",                           only once registered
//    "storage": ["IP:PORT", "IP:PORT"],             only once registered
//    "network_map_version": 0,
//    "transport": {...}}                            kept verbatim
// On reading, a missing key takes its built-in value, a pair may also be
// written as "IP[:PORT],IP[:PORT]", a fingerprint in any form that
// normalize_fingerprint accepts, and unknown keys are errors (a typo must not
// silently fall back to a default). Every problem of a file is reported, one
// per line, in a single Error(Code::config).
//
// credentials.json: {"account_id": "...", "secret": "..."}, 0600; refused
// when group or others have any access to it, as ssh refuses a private key.
// The secret never appears in a message.

#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "transport/net/endpoint.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::cli {

using transport::k_service_port; // the port when an address has none

struct ServerPair {
  transport::Endpoint primary;
  transport::Endpoint alternate;

  std::vector<transport::Endpoint> both() const { return {primary, alternate}; }
  // "IP:PORT,IP:PORT" ("[V6]:PORT" for IPv6), what parse_pair reads back.
  std::string to_string() const;
  auto operator<=>(const ServerPair&) const = default;
};

// "IP[:PORT],IP[:PORT]" (port defaults to 16384; IPv6 as [::1]:16384, or a
// bare IPv6 address with the default port). IP literals only: the client
// never resolves a data-centre name. Exactly two, distinct. On failure
// nullopt and, when `error` is given, a sentence naming the problem.
std::optional<ServerPair> parse_pair(std::string_view text, std::string* error = nullptr);

struct ClientConfig {
  int schema = 1;
  std::string fingerprint; // pinned data-centre CA, "sha256:<64 lower hex>" ("" = unknown)
  std::vector<transport::Cidr> subnets; // the known server subnets
  ServerPair registration;
  std::optional<std::string> account_id;               // set once registered
  std::optional<ServerPair> storage;                   // the account's storage pair
  std::uint64_t network_map_version = 0;               // of the last accepted map
  nlohmann::json transport = nlohmann::json::object(); // proxy/source-port settings, verbatim

  bool operator==(const ClientConfig&) const = default;
};

// PRODUCT.md §1 as compiled in: registration 193.239.112.10:16384 and
// 193.239.113.10:16384, subnets 193.239.112.0/24 and 193.239.113.0/24, and
// the fingerprint of the OFFSITE_DEFAULT_FINGERPRINT build option ("" when
// the build has none). No environment.
ClientConfig built_in_config();

// Overrides from the environment, each ignored when unset or empty:
// OFFSITE_REGISTRATION (pair text), OFFSITE_SUBNETS (CIDRs separated by
// commas and/or spaces), OFFSITE_FINGERPRINT. A bad value throws
// Error(Code::config) naming the variable. Kept apart from load_config so
// that saving a loaded config never bakes the environment into the file.
void apply_environment(ClientConfig& config);

// built_in_config() with apply_environment(): the configuration of a client
// that has no config file yet.
ClientConfig default_config();

std::filesystem::path config_file(const std::filesystem::path& dir);      // <dir>/config.json
std::filesystem::path credentials_file(const std::filesystem::path& dir); // <dir>/credentials.json

// <dir>/config.json; nullopt when it does not exist. A file that cannot be
// read, is not JSON, has an unknown schema or any invalid value throws
// Error(Code::config) naming the file and every problem, with a hint; the
// file is never reset behind the user's back.
std::optional<ClientConfig> load_config(const std::filesystem::path& dir);

// Writes <dir>/config.json atomically (temporary file in the same directory,
// fsync, rename, fsync of the directory), mode 0600; creates `dir` (and
// missing parents) 0700. Throws Error(Code::generic) on I/O failure.
void save_config(const std::filesystem::path& dir, const ClientConfig& config);

struct Credentials {
  std::string account_id;
  std::string secret;
};

// <dir>/credentials.json; nullopt when it does not exist. Error(Code::config)
// when it is malformed or when group/others have any access to it (the hint
// says "chmod 600 FILE"). The secret never appears in any message.
std::optional<Credentials> load_credentials(const std::filesystem::path& dir);
// Same atomic write as save_config, mode 0600.
void save_credentials(const std::filesystem::path& dir, const Credentials& credentials);

// "sha256:AB:CD:..." / "SHA256:abcd..." / bare 64 hex (with or without
// colons) -> "sha256:<64 lower hex>"; nullopt if malformed. Wraps
// transport::normalize_fingerprint, adding the bare form.
std::optional<std::string> normalize_fingerprint(std::string_view text);

// nullopt when every endpoint lies in one of `subnets`; otherwise a sentence
// naming the first endpoint outside them and the subnets. A host name is
// never inside.
std::optional<std::string> outside_subnets(const std::vector<transport::Endpoint>& endpoints,
                                           const std::vector<transport::Cidr>& subnets);

// A network map as a server sends it (hello, register_account and
// network_map replies):
//   {"version": uint, "subnets": ["CIDR", ...], "port": uint,
//    "registration": ["IP[:PORT]", "IP[:PORT]"], "storage": [...]}
// plus, separately, the account's storage pair (the "storage_pair" of the
// registration reply: ["IP:PORT", "IP:PORT"], or null when absent).
//
// The rule, so that a server can move the client only within the data
// centre the client already knows, one announced step at a time:
//  - A map whose version is lower than config.network_map_version is ignored
//    (unchanged, with a reason); an equal or higher version is applied (the
//    account's pair may change without the map changing).
//  - Every address in the update (the map's registration pair, the account's
//    storage pair) must lie inside the subnets the client knew BEFORE the
//    update.
//  - The map's subnets then replace the known ones. A data centre renumbers
//    in two steps: first announce old + new subnets, then move the
//    addresses into the new ones, then drop the old subnets.
//  - The resulting config must be consistent: its registration and storage
//    pairs lie inside the new subnets, so a map can never strand the client
//    outside its own subnets. Subnets broader than /8 (IPv4) or /32 (IPv6)
//    are refused: they would turn the firewall rules into "allow anything".
//  - An absent or empty "subnets" or "registration" keeps the client's
//    value (a server need not announce what it does not manage).
//    "port" is the default port of entries without one (16384 if absent).
//  - "storage" in the map is the server's assignment for NEW accounts and
//    is ignored: the account's pair comes only from `account_storage`.
//  - Any shape error (wrong type, bad address, not exactly two distinct
//    servers, too many entries) or address outside -> refused, with a reason
//    naming the field; the config is returned unchanged.
// The input is untrusted network data: this never throws on bad shape, and a
// reason never quotes raw bytes (only short printable ASCII values).
// `unchanged` also when an applicable map changes nothing.
struct MapUpdate {
  enum class Outcome { unchanged, accepted, refused } outcome = Outcome::unchanged;
  ClientConfig config; // the updated config when accepted, else the input
  std::string reason;  // why refused or ignored; "" otherwise
};

MapUpdate apply_network_map(const ClientConfig& config, const nlohmann::json& map,
                            const nlohmann::json& account_storage /* null when absent */);

} // namespace offsite::cli
