#include "transport/net/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace offsite::transport {

namespace {

constexpr std::array<std::uint8_t, 12> k_v4_mapped_prefix = {0, 0, 0, 0, 0,    0,
                                                             0, 0, 0, 0, 0xff, 0xff};

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

// RFC 1123 host name: labels of letters, digits and hyphens; the last label
// not all-numeric (so "1.2.3.999" is a bad IP, not a name).
bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  if (text.back() == '.') text.remove_suffix(1);
  std::string_view last_label;
  while (!text.empty()) {
    auto dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_';
      if (!ok) return false;
    }
    last_label = label;
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  return !std::all_of(last_label.begin(), last_label.end(),
                      [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text); // inet_pton wants a NUL-terminated string
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.family = Family::v4;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.family = Family::v6;
    return address;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

IpAddress IpAddress::unmapped() const {
  if (family != Family::v6 ||
      !std::equal(k_v4_mapped_prefix.begin(), k_v4_mapped_prefix.end(), bytes.begin()))
    return *this;
  IpAddress v4;
  v4.family = Family::v4;
  std::copy_n(bytes.begin() + 12, 4, v4.bytes.begin());
  return v4;
}

bool is_ip_literal(std::string_view text) { return IpAddress::parse(text).has_value(); }

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string* error,
                                       EndpointSyntax syntax) {
  std::string quoted = fmt::format("\"{}\"", text);
  if (text.empty()) {
    fail(error, "an empty address: expected IP:PORT, as in 193.239.112.10:16384");
    return std::nullopt;
  }
  std::string_view host;
  std::optional<std::string_view> port_text;
  bool bracketed = false;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      fail(error, quoted + ": missing ']' after the IPv6 address");
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    bracketed = true;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        fail(error, quoted + ": expected ':PORT' after ']'");
        return std::nullopt;
      }
      port_text = rest.substr(1);
    }
  } else {
    auto colons = std::count(text.begin(), text.end(), ':');
    if (colons > 1) {
      if (!syntax.default_port || !IpAddress::parse(text)) {
        fail(error, quoted + ": put IPv6 addresses in brackets, as in [::1]:16384");
        return std::nullopt;
      }
      host = text; // a bare IPv6 address, with the default port
    } else if (colons == 1) {
      auto colon = text.find(':');
      host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    } else {
      host = text;
    }
  }

  Endpoint endpoint;
  if (port_text) {
    auto port = parse_decimal(*port_text, 65535);
    if (!port || *port == 0) {
      fail(error, quoted + ": the port must be a number from 1 to 65535");
      return std::nullopt;
    }
    endpoint.port = static_cast<std::uint16_t>(*port);
  } else if (syntax.default_port) {
    endpoint.port = *syntax.default_port;
  } else {
    fail(error, quoted + ": missing ':PORT', as in 193.239.112.10:16384");
    return std::nullopt;
  }

  if (auto ip = IpAddress::parse(host)) {
    if (bracketed && ip->family != IpAddress::Family::v6) {
      fail(error, quoted + ": only IPv6 addresses go in brackets");
      return std::nullopt;
    }
    endpoint.host = ip->to_string();
    return endpoint;
  }
  if (bracketed) {
    fail(error, quoted + ": not a valid IPv6 address inside the brackets");
    return std::nullopt;
  }
  if (!syntax.allow_names) {
    fail(error, quoted + ": not an IP address; servers are reached by IP address, never by name");
    return std::nullopt;
  }
  if (!is_host_name(host)) {
    fail(error, quoted + ": neither an IP address nor a valid host name");
    return std::nullopt;
  }
  endpoint.host = std::string(host);
  return endpoint;
}

std::optional<Cidr> Cidr::parse(std::string_view text, std::string* error) {
  std::string quoted = fmt::format("\"{}\"", text);
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    fail(error, quoted + ": expected a subnet as ADDRESS/PREFIX, as in 193.239.112.0/24");
    return std::nullopt;
  }
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    fail(error, quoted + ": the part before '/' is not an IP address");
    return std::nullopt;
  }
  unsigned max_prefix = address->family == IpAddress::Family::v4 ? 32 : 128;
  auto prefix = parse_decimal(text.substr(slash + 1), max_prefix);
  if (!prefix) {
    fail(error,
         fmt::format("{}: the prefix length must be a number from 0 to {}", quoted, max_prefix));
    return std::nullopt;
  }
  Cidr cidr{*address, *prefix};
  Cidr masked = cidr;
  for (std::size_t bit = *prefix; bit < address->size() * 8; ++bit)
    masked.network.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  if (masked.network != cidr.network) {
    fail(error, fmt::format("{}: the address has bits set beyond the /{} prefix; did you mean {}?",
                            quoted, *prefix, masked.to_string()));
    return std::nullopt;
  }
  return cidr;
}

std::string Cidr::to_string() const {
  return fmt::format("{}/{}", network.to_string(), prefix_length);
}

bool Cidr::contains(const IpAddress& raw) const {
  IpAddress address = raw.unmapped();
  if (address.family != network.family) return false;
  for (unsigned bit = 0; bit < prefix_length; ++bit) {
    auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if ((address.bytes[bit / 8] & mask) != (network.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

bool Cidr::contains(std::string_view ip_text) const {
  auto address = IpAddress::parse(ip_text);
  return address && contains(*address);
}

} // namespace offsite::transport
