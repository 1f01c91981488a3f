#pragma once
// The one table of proxy schemes (CONVENTIONS.md, "Transport as
// composition"; restic's location.Registry, ccache's table of remote
// storage backends). Each row says everything the rest of the program needs
// to know about a scheme: its URL names, how people call it, its default
// port, whether it takes a user and a password, how its connector is made
// over an inner connector, and how a URL of it is printed without the
// password. Adding a scheme is adding a row; nothing else switches on it.
//
// URL syntax and parsing live in cli/network/ (proxy_url.cpp), which looks
// schemes up here.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "transport/net/endpoint.hpp"
#include "transport/proxy/proxy_connector.hpp"

namespace offsite::transport {

// curl's default for every proxy scheme, HTTP too.
inline constexpr std::uint16_t k_default_proxy_port = 1080;

// What kind of hop a scheme is: a proxy protocol spoken to one proxy (SOCKS,
// HTTP CONNECT), or a firewall forwarding one port per data-centre server.
enum class ProxyFamily { socks, http, mapped };

// One proxy as a URL of some scheme names it, ready for that scheme's
// factory.
struct ProxyTarget {
  Endpoint proxy; // host: IP literal or name; port 0 for mapped
  std::optional<ProxyCredentials> credentials;
  std::map<Endpoint, std::uint16_t> ports; // mapped: data-centre server -> firewall port
};

struct ProxyScheme {
  std::string_view name;  // canonical, lower case: what redact() writes ("socks5")
  std::string_view alias; // another name that means the same ("socks5h"), or ""
  std::string_view label; // for people: "SOCKS5 proxy"
  ProxyFamily family;
  // 0: the URL takes no port (mapped: the map gives one per server).
  std::uint16_t default_port;
  bool takes_user;             // a USER@ part is allowed
  bool takes_password;         // a user authenticates with a password (else a bare user id)
  std::string_view user_label; // "user", "user id": how describe() names the user
  // The connector for `target` over `inner` (which dials the proxy, so it
  // must allow names). Throws TransportError (kind other) for credentials
  // the protocol cannot carry.
  std::shared_ptr<ProxyConnector> (*make)(std::shared_ptr<Connector> inner,
                                          const ProxyTarget& target);
  // "socks5://alice@proxy.example:1080": the canonical URL of `target`
  // without its password, safe for config.json, logs and messages.
  std::string (*redact)(const ProxyScheme& scheme, const ProxyTarget& target);

  bool takes_port() const { return default_port != 0; }
  // The connector needs ProxyTarget::ports (one firewall port per server).
  bool uses_port_map() const { return family == ProxyFamily::mapped; }
  bool answers_to(std::string_view lower_case_name) const {
    return lower_case_name == name || (!alias.empty() && lower_case_name == alias);
  }
};

// Every row, in the order messages list them; the first is the default
// (socks5).
std::span<const ProxyScheme> proxy_schemes();

// The row whose name or alias is `lower_case_name`; nullptr when none.
const ProxyScheme* find_proxy_scheme(std::string_view lower_case_name);

} // namespace offsite::transport
