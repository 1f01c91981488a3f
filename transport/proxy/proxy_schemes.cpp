#include "transport/proxy/proxy_schemes.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "transport/proxy/http_connect_connector.hpp"
#include "transport/proxy/mapped_connector.hpp"
#include "transport/proxy/socks_connector.hpp"

namespace offsite::transport {

namespace {

// RFC 3986 userinfo: everything but the unreserved characters %-escaped, so
// that a user name holding '@' or ':' reads back as itself.
std::string percent_encode(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || std::strchr("-._~", c))
      out.push_back(c);
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

std::string url_start(const ProxyScheme& scheme, const ProxyTarget& target) {
  std::string text = fmt::format("{}://", scheme.name);
  if (target.credentials) text += percent_encode(target.credentials->username) + "@";
  return text;
}

std::string redact_host_port(const ProxyScheme& scheme, const ProxyTarget& target) {
  return url_start(scheme, target) + target.proxy.to_string();
}

// mapped://HOST: no port, an IPv6 literal still in brackets.
std::string redact_host_only(const ProxyScheme& scheme, const ProxyTarget& target) {
  const std::string& host = target.proxy.host;
  const bool v6 = is_ip_literal(host) && host.find(':') != std::string::npos;
  return url_start(scheme, target) + (v6 ? "[" + host + "]" : host);
}

template <SocksVersion version>
std::shared_ptr<ProxyConnector> make_socks(std::shared_ptr<Connector> inner,
                                           const ProxyTarget& target) {
  return std::make_shared<SocksConnector>(std::move(inner),
                                          SocksOptions{version, target.proxy, target.credentials});
}

std::shared_ptr<ProxyConnector> make_http(std::shared_ptr<Connector> inner,
                                          const ProxyTarget& target) {
  return std::make_shared<HttpConnectConnector>(
      std::move(inner), HttpConnectOptions{target.proxy, target.credentials});
}

std::shared_ptr<ProxyConnector> make_mapped(std::shared_ptr<Connector> inner,
                                            const ProxyTarget& target) {
  return std::make_shared<MappedConnector>(std::move(inner),
                                           MappedOptions{target.proxy.host, target.ports});
}

// socks5h is curl's "the proxy resolves the name"; we only ever send an IP
// address, so it means what socks5 means.
constexpr ProxyScheme k_schemes[] = {
    {"socks5", "socks5h", "SOCKS5 proxy", ProxyFamily::socks, k_default_proxy_port, true, true,
     "user", make_socks<SocksVersion::v5>, redact_host_port},
    {"socks4", "", "SOCKS4 proxy", ProxyFamily::socks, k_default_proxy_port, true, false, "user id",
     make_socks<SocksVersion::v4>, redact_host_port},
    {"socks4a", "", "SOCKS4a proxy", ProxyFamily::socks, k_default_proxy_port, true, false,
     "user id", make_socks<SocksVersion::v4a>, redact_host_port},
    {"http", "", "HTTP proxy", ProxyFamily::http, k_default_proxy_port, true, true, "user",
     make_http, redact_host_port},
    {"mapped", "", "mapped firewall", ProxyFamily::mapped, 0, false, false, "user", make_mapped,
     redact_host_only},
};

} // namespace

std::span<const ProxyScheme> proxy_schemes() { return k_schemes; }

const ProxyScheme* find_proxy_scheme(std::string_view lower_case_name) {
  const auto found =
      std::find_if(std::begin(k_schemes), std::end(k_schemes),
                   [&](const ProxyScheme& s) { return s.answers_to(lower_case_name); });
  return found == std::end(k_schemes) ? nullptr : found;
}

} // namespace offsite::transport
