#include "server/serve/connection_limits.hpp"

#include <fmt/format.h>

#include "transport/net/endpoint.hpp"

namespace offsite::server {

std::string address_group(const std::string& peer_ip) {
  const auto ip = transport::IpAddress::parse(peer_ip);
  if (!ip) return peer_ip;
  const auto address = ip->unmapped();
  if (address.family == transport::IpAddress::Family::v4) return address.to_string();
  transport::Cidr block{address, 64};
  for (std::size_t i = 8; i < block.network.bytes.size(); ++i)
    block.network.bytes[i] = 0;
  return block.to_string();
}

std::optional<std::string> ConnectionLimits::admit(const std::string& group) {
  std::lock_guard lock(m_mutex);
  if (m_open >= m_total)
    return fmt::format("{} connections are open, the limit (--max-connections)", m_open);
  auto& from_group = m_by_group[group];
  if (from_group >= m_per_address) {
    if (from_group == 0) m_by_group.erase(group);
    return fmt::format("{} connections from this address are open, the limit "
                       "(--max-connections-per-address)",
                       from_group);
  }
  ++from_group;
  ++m_open;
  return std::nullopt;
}

void ConnectionLimits::release(const std::string& group) {
  std::lock_guard lock(m_mutex);
  if (m_open > 0) --m_open;
  const auto it = m_by_group.find(group);
  if (it == m_by_group.end()) return;
  if (--it->second == 0) m_by_group.erase(it);
}

} // namespace offsite::server
