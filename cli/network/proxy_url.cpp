// Proxy URLs, mapped-firewall port maps and NO_PROXY lists as users type
// them (see cli/network/transport_settings.hpp). Whatever follows the last '@' of a
// URL is the proxy; what precedes it may hold a password, so no message ever
// quotes it.
#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "cli/config/client_config.hpp"
#include "cli/network/transport_settings.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/text.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

using transport::Endpoint;

namespace {

// "socks5://, socks4://, socks4a://, http:// or mapped://": the table's
// schemes by their canonical names.
std::string scheme_list(bool explain_http) {
  const auto schemes = transport::proxy_schemes();
  std::string text;
  for (std::size_t i = 0; i < schemes.size(); ++i) {
    text += i == 0 ? "" : i + 1 == schemes.size() ? " or " : ", ";
    text += fmt::format("{}://", schemes[i].name);
    if (explain_http && schemes[i].family == transport::ProxyFamily::http)
      text += " (HTTP CONNECT; the tunnel carries TLS anyway)";
  }
  return text;
}

std::vector<std::string_view> split_skipping_empty(std::string_view text,
                                                   std::string_view separators) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const auto at = text.find_first_of(separators);
    if (at != 0) parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_name_entry(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty() || text.size() > 253) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

} // namespace

std::string ProxyUrl::redacted() const { return scheme->redact(*scheme, target()); }

std::string ProxyUrl::describe() const {
  const std::string where =
      !scheme->takes_port() ? printable(proxy.host) : printable(proxy.to_string());
  std::string text = fmt::format("{} {}", scheme->label, where);
  // The transport layers' own wording, so that messages read alike.
  if (username) text += fmt::format(" ({} {})", scheme->user_label, printable(*username));
  return text;
}

bool ProxyUrl::wants_password() const { return username && scheme->takes_password; }

transport::ProxyTarget ProxyUrl::target(const PortMap& ports) const {
  transport::ProxyTarget result{proxy, std::nullopt, ports};
  if (username) result.credentials = transport::ProxyCredentials{*username, password.value_or("")};
  return result;
}

std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<ProxyUrl> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  text = trim(text);
  if (text.empty()) return fail("the proxy URL is empty");

  ProxyUrl url;
  std::string_view rest = text;
  std::string scheme = "http"; // curl's default for a bare HOST:PORT
  if (const auto separator = text.find("://"); separator != std::string_view::npos) {
    scheme = lower(text.substr(0, separator));
    rest = text.substr(separator + 3);
  }
  const transport::ProxyScheme* known = transport::find_proxy_scheme(scheme);
  if (!known) {
    // The "scheme" of a mistyped URL may hold part of a password: quote it
    // only when it looks like a scheme.
    const bool plain = scheme.size() <= 12 && std::all_of(scheme.begin(), scheme.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c));
                       });
    const std::string shown = plain ? fmt::format("\"{}\"", scheme) : "this";
    if (scheme == "https" || scheme == "socks")
      return fail(
          fmt::format("{} proxy scheme is not supported: use {}", shown, scheme_list(true)));
    return fail(fmt::format("{} is not a proxy scheme: use {}", shown, scheme_list(false)));
  }
  url.scheme = known;
  const bool takes_port = known->takes_port();

  std::string_view userinfo;
  std::string_view host = rest;
  const auto at = rest.rfind('@');
  if (at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    host = rest.substr(at + 1);
  }
  if (!host.empty() && host.back() == '/') host.remove_suffix(1);
  if (host.empty()) return fail(fmt::format("the {} URL names no host", scheme));
  if (!util::is_printable_ascii(host) || host.find_first_of("/?# ") != std::string_view::npos)
    return fail(fmt::format("the proxy URL must be {}://[USER@]HOST{}, without a path or spaces",
                            scheme, takes_port ? "[:PORT]" : ""));

  if (at != std::string_view::npos) {
    if (!known->takes_user)
      return fail("mapped://HOST takes no user name: a mapped proxy firewall does not "
                  "authenticate");
    const auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return fail("the user name in the proxy URL has a bad %-escape");
    if (user->empty()) return fail("the user name before '@' in the proxy URL is empty");
    if (std::any_of(user->begin(), user->end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      return fail("the user name in the proxy URL holds control characters");
    url.username = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = percent_decode(userinfo.substr(colon + 1));
      if (!password) return fail("the password in the proxy URL has a bad %-escape");
      url.password = std::move(*password);
    }
  }

  // In a URL an IPv6 address always goes in brackets: "2001:db8::1:1080"
  // would otherwise read as an address without a port.
  if (host.front() != '[' && std::count(host.begin(), host.end(), ':') > 1)
    return fail(fmt::format("put an IPv6 proxy address in brackets, as in {}://[2001:db8::1]{}",
                            scheme, takes_port ? fmt::format(":{}", known->default_port) : ""));
  std::string detail;
  if (!takes_port) {
    auto endpoint = transport::parse_endpoint(host, &detail, {true, std::uint16_t{0}});
    if (!endpoint) return fail("the firewall " + detail);
    if (endpoint->port != 0)
      return fail("mapped://HOST takes no port: the firewall's port for each data-centre "
                  "server comes from the map (--map SERVER_IP=PORT)");
    url.proxy = *endpoint;
  } else {
    auto endpoint = transport::parse_endpoint(host, &detail, {true, known->default_port});
    if (!endpoint) return fail("the proxy " + detail);
    url.proxy = *endpoint;
  }
  return url;
}

std::optional<PortMap> parse_port_map(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<PortMap> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  PortMap map;
  for (const auto entry : split_skipping_empty(text, ", \t\r\n")) {
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || !util::is_printable_ascii(entry))
      return fail(fmt::format("{}: expected SERVER_IP=PORT, as in 193.239.112.10=40001",
                              util::is_printable_ascii(entry) ? "\"" + std::string(entry) + "\""
                                                              : "an entry"));
    std::string detail;
    auto server =
        transport::parse_endpoint(entry.substr(0, equals), &detail, {false, k_service_port});
    if (!server) return fail("the server " + detail);
    auto port = parse_port(entry.substr(equals + 1));
    if (!port)
      return fail(fmt::format("\"{}\": the firewall port must be a number from 1 to 65535", entry));
    if (!map.emplace(*server, *port).second)
      return fail(fmt::format("{} is mapped twice", server->to_string()));
  }
  if (map.empty()) return fail("no SERVER_IP=PORT entry, as in 193.239.112.10=40001");
  return map;
}

std::optional<std::vector<std::string>> parse_no_proxy(std::string_view text, bool strict,
                                                       std::string* error) {
  std::vector<std::string> entries;
  for (auto entry : split_skipping_empty(text, ", \t\r\n")) {
    if (!util::is_printable_ascii(entry)) {
      if (!strict) continue;
      if (error) *error = "a no_proxy entry holds control characters";
      return std::nullopt;
    }
    std::string_view bare = entry;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
      bare = bare.substr(1, bare.size() - 2);
    if (entry == "*") {
      entries.emplace_back("*");
    } else if (auto ip = transport::IpAddress::parse(bare)) {
      entries.push_back(ip->to_string());
    } else if (auto cidr = transport::Cidr::parse(entry)) {
      entries.push_back(cidr->to_string());
    } else if (is_name_entry(entry) || !strict) {
      // Names never match (servers are reached by address); the
      // environment's other entries are kept for the router to ignore, as
      // curl ignores what it cannot match.
      entries.push_back(lower(entry));
    } else {
      if (!error) return std::nullopt;
      std::string detail;
      if (entry.find('/') != std::string_view::npos && !transport::Cidr::parse(entry, &detail))
        *error = "no_proxy: " + detail;
      else
        *error = fmt::format("no_proxy: \"{}\" is neither an address, a subnet, a host name nor *",
                             entry);
      return std::nullopt;
    }
  }
  return entries;
}

std::optional<std::string> argv_password_warning(const TransportFlags& flags) {
  const auto url = parse_proxy_url(flags.proxy);
  if (!url || !url->password) return std::nullopt;
  return std::string("the proxy password given in --proxy is visible to other users of this "
                     "machine (ps, /proc) while offsite starts; give it with "
                     "OFFSITE_PROXY_PASSWORD or --proxy-password-file FILE instead");
}

void scrub_argv_password(int argc, char** argv) {
  auto scrub = [](char* url) {
    char* rest = std::strstr(url, "://");
    rest = rest ? rest + 3 : url;
    char* at = std::strrchr(rest, '@');
    if (!at) return;
    char* colon = static_cast<char*>(std::memchr(rest, ':', static_cast<std::size_t>(at - rest)));
    if (!colon) return;
    std::fill(colon + 1, at, '*');
  };
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return;
    if (std::strcmp(argv[i], "--proxy") == 0 && i + 1 < argc)
      scrub(argv[++i]);
    else if (std::strncmp(argv[i], "--proxy=", 8) == 0)
      scrub(argv[i] + 8);
  }
}

} // namespace offsite::cli
