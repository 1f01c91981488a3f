#include "util/fd.hpp"

#include <unistd.h>

#include <utility>

namespace offsite::util {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int Fd::release() { return std::exchange(m_fd, -1); }

void Fd::reset(int fd) {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = fd;
}

} // namespace offsite::util
