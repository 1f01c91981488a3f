#pragma once
// How this command reaches the data centre: what the user chose (a proxy, a
// mapped firewall's ports, a source-port range, NO_PROXY), from the global
// flags, the environment as curl reads it, and the "transport" object of
// config.json, highest first; then the one connector stack built from it.
//
// Proxy URLs: SCHEME://[USER[:PASSWORD]@]HOST[:PORT][/]
//   socks5   SOCKS5 (socks5h is the same: we never send a name anyway)
//   socks4   SOCKS4 (USER is the user id; no password)
//   socks4a  SOCKS4a
//   http     HTTP CONNECT (a URL without "SCHEME://" is http, as for curl)
//   mapped   mapped proxy firewall: mapped://HOST, no port, no user; the
//            port for each data-centre server comes from the map
// HOST is a name or an IP literal (IPv6 in brackets); PORT defaults to 1080
// for every scheme, as curl does (for HTTP proxies too: give the port).
// USER and PASSWORD are %-decoded. What each scheme allows is its row in
// transport/proxy/proxy_schemes.hpp, the one table of schemes.
//
// config.json's "transport" object (never a password):
//   {"proxy": "socks5://alice@proxy.example:1080",
//    "map": {"193.239.112.10:16384": 40001, ...},   SERVER_IP:PORT -> firewall port
//    "source_ports": "1024-5000",
//    "no_proxy": ["10.0.0.0/8", ...],
//    "proxy_password_file": "/home/alice/.config/offsite/proxy-password",
//    "limit_upload": 2048, "limit_download": 8192}    KiB/s, all connections together
//
// Precedence, per key: flag > environment > config.json > default (direct).
//   proxy:    --proxy, else https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY
//             (first set and non-empty, as curl; skipped with --no-proxy),
//             else "proxy", else direct. "--proxy direct" forces direct.
//   no_proxy: no_proxy / NO_PROXY (skipped with --no-proxy), else "no_proxy".
//   map:      the --map flags when any is given, else "map".
//   source_ports, proxy_password_file, limit_upload, limit_download: the
//             flag, else the config key ("--limit-upload 0": no limit).
// The proxy password (only SOCKS5 and HTTP with a user need one), first
// found of: --proxy-password-file, the password in the proxy URL (--proxy or
// the environment), OFFSITE_PROXY_PASSWORD, "proxy_password_file", a prompt
// on the terminal. Never written to config.json, never in a message.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/global_options.hpp"
#include "transport/net/connector.hpp"
#include "transport/net/endpoint.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/proxy/proxy_connector.hpp"
#include "transport/proxy/proxy_schemes.hpp"

namespace offsite::cli {

using PortMap = std::map<transport::Endpoint, std::uint16_t>;

struct ProxyUrl {
  // A row of transport::proxy_schemes() (never null); socks5 unless parsed.
  const transport::ProxyScheme* scheme = &transport::proxy_schemes().front();
  transport::Endpoint proxy; // host: IP literal or name; port 0 for mapped
  std::optional<std::string> username;
  std::optional<std::string> password; // from a URL or a password source; never saved

  // "socks5://alice@proxy.example:1080": the canonical URL without the
  // password, what config.json stores and messages show.
  std::string redacted() const;
  // "SOCKS5 proxy proxy.example:1080 (user alice)". Never the password.
  std::string describe() const;
  // Only schemes that take a password (SOCKS5, HTTP), and only with a user.
  bool wants_password() const;
  // What the scheme's factory takes: the proxy, the user and password (""
  // when not resolved), and `ports` for a mapped firewall.
  transport::ProxyTarget target(const PortMap& ports = {}) const;
};

// nullopt on error, with `error` set to a sentence that names the problem
// and never holds the user name's password.
std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string* error = nullptr);

// "SERVER_IP[:PORT]=PORT" entries, separated by commas or spaces; the server
// port defaults to 16384. Server addresses must be IP literals.
std::optional<PortMap> parse_port_map(std::string_view text, std::string* error = nullptr);

// A NO_PROXY list: entries separated by commas or spaces, each "*", an IP
// address ([IPv6] too), a CIDR, or a host name (with or without a leading
// dot; names never match, since servers are reached by address). `strict`
// refuses other entries; otherwise (the environment, shared with other
// programs) they are dropped, as they would never match anything.
std::optional<std::vector<std::string>> parse_no_proxy(std::string_view text, bool strict,
                                                       std::string* error = nullptr);

// A rate limit in KiB/s as --limit-upload and "limit_upload" take it: 0 (no
// limit) or k_min_rate_limit_kib to k_max_rate_limit_kib. nullopt on anything
// else, with `error` set to a sentence naming the problem.
inline constexpr std::uint64_t k_min_rate_limit_kib = 32;
inline constexpr std::uint64_t k_max_rate_limit_kib = 4u << 20;
std::optional<std::uint64_t> parse_rate_limit(std::string_view text, std::string* error = nullptr);

struct TransportSettings {
  std::optional<ProxyUrl> proxy; // nullopt: direct
  std::string proxy_origin;      // "--proxy", "ALL_PROXY", "config.json", ... ("" when direct)
  PortMap map;                   // for a mapped proxy firewall
  std::optional<transport::SourcePortRange> source_ports;
  std::vector<std::string> no_proxy; // destinations that bypass the proxy
  std::string no_proxy_origin;       // "NO_PROXY", "config.json", ...
  std::string proxy_password_file;   // --proxy-password-file, else the config's ("" = none)
  std::string proxy_password_file_origin;
  std::uint64_t limit_upload_kib = 0; // KiB/s; 0 = no limit
  std::uint64_t limit_download_kib = 0;

  // "direct", "SOCKS5 proxy proxy.example:1080 (user alice)", then
  // "; not for 10.0.0.0/8", "; source ports 1024-5000", "; upload at most
  // 2048 KiB/s" and "; download at most 8192 KiB/s" when set.
  std::string describe() const;
};

// Where resolve_transport looks up environment variables; nullopt = unset.
// An empty value counts as unset (as in curl).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// Flags > environment > config.json. Does not look for the password (see
// resolve_proxy_password). A bad flag throws Error(usage) naming the flag;
// a bad environment variable Error(config) naming the variable; a bad
// "transport" object Error(config) with one line per problem. A mapped
// proxy with no map, or --map without a mapped proxy, is refused.
TransportSettings resolve_transport(const TransportFlags& flags,
                                    const nlohmann::json& config_transport, const EnvLookup& env);

// Asks for a secret on the terminal; nullopt when there is none (stdin is
// not a terminal), so that cron gets an error rather than a hang.
using SecretPrompt = std::function<std::optional<std::string>(std::string_view prompt)>;
SecretPrompt terminal_prompt();

// Fills settings.proxy->password when the proxy wants one and has none, from
// the sources in the order above; Error(passphrase_required) saying how to
// give it when none has it. Reads password files; may prompt.
void resolve_proxy_password(TransportSettings& settings, const EnvLookup& env,
                            const SecretPrompt& prompt);

// Everything a command needs: resolve_transport with the process
// environment, then the password (prompting on the terminal).
TransportSettings transport_settings(const TransportFlags& flags,
                                     const nlohmann::json& config_transport);

// The "transport" object of config.json with one key set or removed, after
// validating the value exactly as the flag's; Error(usage) naming the
// problem. Keys: proxy, map (adds or replaces entries), source_ports,
// no_proxy, proxy_password_file. `unset` of map with an entry (SERVER_IP)
// removes that entry only.
nlohmann::json set_transport_key(nlohmann::json transport, std::string_view key,
                                 std::string_view value);
nlohmann::json unset_transport_key(nlohmann::json transport, std::string_view key,
                                   std::string_view entry = {});
inline constexpr std::string_view k_transport_keys[] = {
    "proxy",        "map",           "source_ports", "no_proxy", "proxy_password_file",
    "limit_upload", "limit_download"};

// --- the connector stack --------------------------------------------------

// TLS pinned to `fingerprint` over (RateLimited, when a limit is set, over)
//   direct:   Tcp(IP only, source ports)
//   a proxy:  Routing(Tcp(IP only, source ports),
//                     Socks|HttpConnect|Mapped(Tcp(names allowed, source ports)),
//                     no_proxy)
// `layers` spells the stack for tests and -v ("tls(routing(tcp,socks5(tcp+names)))").
struct ConnectorStack {
  std::shared_ptr<transport::Connector> connector;
  std::string layers;
  std::string description; // settings.describe()
};
// Error(config) for an unknown fingerprint. The password must be resolved
// already when the proxy wants one.
ConnectorStack build_connector_stack(const std::string& fingerprint,
                                     const TransportSettings& settings);

std::shared_ptr<transport::Connector> make_connector(const std::string& fingerprint,
                                                     const TransportSettings& settings);
// The earlier declaration, kept for callers that only have config.json's
// object: that object alone decides (no flags, no proxy variables of the
// environment); the password comes from its usual sources.
std::shared_ptr<transport::Connector> make_connector(const std::string& fingerprint,
                                                     const nlohmann::json& config_transport);

// The proxy layer alone (over its own TCP connector), for test-connection's
// step-by-step probe; nullptr when the settings say direct.
std::shared_ptr<transport::ProxyConnector> make_proxy_layer(const TransportSettings& settings);
// True when `server` is reached directly: no proxy, or NO_PROXY matches it.
bool bypasses_proxy(const TransportSettings& settings, const transport::Endpoint& server);

// A warning when --proxy carries a password (argv is visible to every user
// of the machine); nullopt otherwise.
std::optional<std::string> argv_password_warning(const TransportFlags& flags);
// Overwrites the password of a --proxy URL in argv with '*' so that it no
// longer shows in /proc/PID/cmdline once parsing is done.
void scrub_argv_password(int argc, char** argv);

} // namespace offsite::cli
