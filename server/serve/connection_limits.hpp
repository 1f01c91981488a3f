#pragma once
// Admission of new connections: at most `total` at once, and at most
// `per_address` from one source. A source is one IPv4 address or one IPv6
// /64 (the smallest block an IPv6 user is given: counting single IPv6
// addresses would let one host open millions). Thread-safe; pure counting,
// no sockets, so that unit tests drive it directly.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace offsite::server {

// The source group of a peer address ("203.0.113.7", "2001:db8:1:2::/64");
// the text itself when it is not an IP literal.
std::string address_group(const std::string& peer_ip);

class ConnectionLimits {
public:
  ConnectionLimits(std::size_t total, std::size_t per_address)
      : m_total(total), m_per_address(per_address) {}

  // Takes a place for a connection from `group`; on refusal returns the
  // reason, for the log ("64 connections are open (the limit)").
  std::optional<std::string> admit(const std::string& group);
  // Gives back a place that admit() granted.
  void release(const std::string& group);

private:
  std::mutex m_mutex;
  std::size_t m_total;
  std::size_t m_per_address;
  std::size_t m_open = 0;
  std::map<std::string, std::size_t> m_by_group;
};

} // namespace offsite::server
