#pragma once
// Addresses as users write them: "193.239.112.10:16384", "[2001:db8::1]:16384",
// "proxy.example.com:1080" (names only where allowed: proxies), and subnets
// "193.239.112.0/24", "2001:db8::/48". Parsing returns std::nullopt plus a
// sentence naming the problem, because bad input is an expected outcome.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace offsite::transport {

struct IpAddress {
  enum class Family : std::uint8_t { v4, v6 };
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{}; // network order; IPv4 uses the first 4

  // Strict literal: dotted quad (no leading zeros, 4 parts) or RFC 4291 IPv6
  // text without brackets or zone index.
  static std::optional<IpAddress> parse(std::string_view text);
  // Canonical text: "193.239.112.10", "2001:db8::1" (lower case, compressed).
  std::string to_string() const;
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4; otherwise itself.
  IpAddress unmapped() const;
  std::size_t size() const { return family == Family::v4 ? 4 : 16; }

  auto operator<=>(const IpAddress&) const = default;
};

bool is_ip_literal(std::string_view text);

struct Endpoint {
  std::string host; // canonical IP literal, or a host name where allowed
  std::uint16_t port = 0;

  // "IP:PORT", "[V6]:PORT", "name:PORT".
  std::string to_string() const;
  bool is_ip() const { return is_ip_literal(host); }
  auto operator<=>(const Endpoint&) const = default;
};

struct EndpointSyntax {
  bool allow_names = false;                  // proxies may be given by name
  std::optional<std::uint16_t> default_port; // used when the text has no port
};

// Parses "IP:PORT" / "[V6]:PORT" (and "name:PORT" with allow_names). IP
// literals come back in canonical form. On failure returns nullopt and, when
// `error` is given, stores a sentence such as
// "\"::1:80\": put IPv6 addresses in brackets, as in [::1]:80".
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string* error = nullptr,
                                       EndpointSyntax syntax = {});

// An IPv4 or IPv6 subnet in CIDR notation.
struct Cidr {
  IpAddress network;
  unsigned prefix_length = 0;

  // "193.239.112.0/24"; host bits must be zero ("193.239.112.5/24" is refused
  // with a "did you mean 193.239.112.0/24?" error) so rules print as typed.
  static std::optional<Cidr> parse(std::string_view text, std::string* error = nullptr);
  std::string to_string() const;

  // IPv4-mapped IPv6 addresses count as their IPv4 address.
  bool contains(const IpAddress& address) const;
  // False for anything that is not an IP literal (names are never inside).
  bool contains(std::string_view ip_text) const;

  auto operator<=>(const Cidr&) const = default;
};

} // namespace offsite::transport
