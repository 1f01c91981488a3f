#include "server/serve/byte_budget.hpp"

#include <algorithm>
#include <utility>

namespace offsite::server {

ByteBudget::Charge::Charge(Charge&& other) noexcept
    : m_budget(std::exchange(other.m_budget, nullptr)), m_bytes(std::exchange(other.m_bytes, 0)) {}

ByteBudget::Charge& ByteBudget::Charge::operator=(Charge&& other) noexcept {
  if (this != &other) {
    if (m_budget) m_budget->give_back(m_bytes);
    m_budget = std::exchange(other.m_budget, nullptr);
    m_bytes = std::exchange(other.m_bytes, 0);
  }
  return *this;
}

ByteBudget::Charge::~Charge() {
  if (m_budget) m_budget->give_back(m_bytes);
}

void ByteBudget::Charge::absorb(Charge other) {
  if (!other.m_budget) return;
  if (!m_budget) {
    *this = std::move(other);
    return;
  }
  m_bytes += std::exchange(other.m_bytes, 0);
  other.m_budget = nullptr;
}

void ByteBudget::Charge::resize(std::size_t bytes) {
  if (!m_budget) return;
  if (bytes < m_bytes)
    m_budget->give_back(m_bytes - bytes);
  else
    m_budget->force(bytes - m_bytes);
  m_bytes = bytes;
}

ByteBudget::Charge ByteBudget::try_charge(std::size_t bytes) {
  bytes = std::min(bytes, m_limit);
  std::lock_guard lock(m_mutex);
  if (m_used + bytes > m_limit) return {};
  m_used += bytes;
  return {this, bytes};
}

std::size_t ByteBudget::used() const {
  std::lock_guard lock(m_mutex);
  return m_used;
}

void ByteBudget::give_back(std::size_t bytes) {
  std::lock_guard lock(m_mutex);
  m_used -= std::min(bytes, m_used);
}

void ByteBudget::force(std::size_t bytes) {
  std::lock_guard lock(m_mutex);
  m_used += bytes;
}

} // namespace offsite::server
