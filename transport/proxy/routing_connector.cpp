#include "transport/proxy/routing_connector.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <utility>

#include "transport/net/endpoint.hpp"

namespace offsite::transport {

namespace {

bool is_separator(char c) { return c == ',' || c == ' ' || c == '\t'; }

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// An IP entry "ADDR" or "ADDR/BITS" (IPv6 also in brackets) against `ip`.
// As in curl: host bits of ADDR are ignored, /0 and no prefix mean the whole
// address, and an entry of the other family never matches.
bool ip_entry_matches(std::string_view entry, const IpAddress& ip) {
  std::optional<unsigned> bits;
  if (auto slash = entry.find('/'); slash != std::string_view::npos) {
    unsigned value = 0;
    std::string_view digits = entry.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return false;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    bits = value;
    entry = entry.substr(0, slash);
  }
  if (entry.size() >= 2 && entry.front() == '[' && entry.back() == ']')
    entry = entry.substr(1, entry.size() - 2);
  auto network = IpAddress::parse(entry);
  if (!network || network->family != ip.family) return false;
  const unsigned width = static_cast<unsigned>(ip.size()) * 8;
  unsigned prefix = bits.value_or(width);
  if (prefix == 0) prefix = width;
  if (prefix > width) return false;
  for (unsigned bit = 0; bit < prefix; ++bit) {
    const unsigned byte = bit / 8;
    const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if ((network->bytes[byte] & mask) != (ip.bytes[byte] & mask)) return false;
  }
  return true;
}

// A name entry: "example.com" or ".example.com" matches example.com and
// every subdomain; trailing dots are ignored on both sides.
bool name_entry_matches(std::string_view entry, std::string_view host) {
  if (!entry.empty() && entry.back() == '.') entry.remove_suffix(1);
  if (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (entry.empty()) return false;
  if (entry.size() == host.size()) return iequal(entry, host);
  if (entry.size() > host.size()) return false;
  return host[host.size() - entry.size() - 1] == '.' &&
         iequal(entry, host.substr(host.size() - entry.size()));
}

} // namespace

RoutingConnector::RoutingConnector(std::shared_ptr<Connector> direct,
                                   std::shared_ptr<Connector> proxied,
                                   std::vector<std::string> no_proxy)
    : m_direct(std::move(direct)), m_proxied(std::move(proxied)), m_given(std::move(no_proxy)) {
  for (const std::string& list : m_given) {
    std::size_t i = 0;
    while (i < list.size()) {
      while (i < list.size() && is_separator(list[i]))
        ++i;
      std::size_t start = i;
      while (i < list.size() && !is_separator(list[i]))
        ++i;
      if (i > start) m_entries.push_back(list.substr(start, i - start));
    }
    // curl: the value "*" (alone) bypasses the proxy for every host.
    if (list == "*") m_everything = true;
  }
  if (m_entries.size() == 1 && m_entries.front() == "*") m_everything = true;
}

bool RoutingConnector::bypasses(const Endpoint& destination) const {
  if (m_everything) return true;
  std::string_view host = destination.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto ip = IpAddress::parse(host);
  for (const std::string& entry : m_entries) {
    if (ip ? ip_entry_matches(entry, *ip) : name_entry_matches(entry, host)) return true;
  }
  return false;
}

std::unique_ptr<Stream> RoutingConnector::connect(const Endpoint& destination, Deadline deadline) {
  return bypasses(destination) ? m_direct->connect(destination, deadline)
                               : m_proxied->connect(destination, deadline);
}

} // namespace offsite::transport
