#include "server/store/curl_pool.hpp"

#include <mutex>
#include <new>

namespace offsite::server {

namespace {

void init_curl_once() {
  static std::once_flag once;
  // Never cleaned up: handles may live until the process exits.
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::bad_alloc();
  });
}

} // namespace

CurlPool::CurlPool(std::size_t max_idle) : m_max_idle(max_idle) { init_curl_once(); }

CurlPool::~CurlPool() {
  for (CURL* handle : m_idle)
    curl_easy_cleanup(handle);
}

CurlPool::Lease CurlPool::take() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_idle.empty()) {
      CURL* handle = m_idle.back();
      m_idle.pop_back();
      return Lease(*this, handle, true);
    }
  }
  CURL* handle = curl_easy_init();
  if (handle == nullptr) throw std::bad_alloc();
  return Lease(*this, handle, false);
}

void CurlPool::give_back(CURL* handle) {
  // Options (and the credentials among them) are cleared; the connection
  // cache stays, which is the point of the pool.
  curl_easy_reset(handle);
  {
    std::lock_guard lock(m_mutex);
    if (m_idle.size() < m_max_idle) {
      m_idle.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(handle);
}

} // namespace offsite::server
