#pragma once
// A pool of libcurl easy handles, so that requests from many threads at once
// each get a handle and its kept-alive connection is reused by the next
// request (an S3 round trip on a new connection costs a TCP handshake more).
// Thread-safe. libcurl's global state is initialised once, here.

#include <cstddef>
#include <mutex>
#include <vector>

#include <curl/curl.h>

namespace offsite::server {

class CurlPool {
public:
  // Keeps at most `max_idle` idle handles (and their connections); more
  // threads than that still get handles, which are closed when returned.
  explicit CurlPool(std::size_t max_idle);
  ~CurlPool();
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;

  // A handle with every option reset (its connections kept); lent until
  // the Lease goes out of scope.
  class Lease {
  public:
    Lease(CurlPool& pool, CURL* handle, bool used) : m_pool(pool), m_handle(handle), m_used(used) {}
    ~Lease() { m_pool.give_back(m_handle); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    CURL* get() const { return m_handle; }
    // True when the handle has carried a request before, so it may hold a
    // kept-alive connection (which curl silently retries on if it dies).
    bool used() const { return m_used; }

  private:
    CurlPool& m_pool;
    CURL* m_handle;
    bool m_used;
  };
  Lease take();

private:
  void give_back(CURL* handle);
  std::mutex m_mutex;
  std::vector<CURL*> m_idle; // every idle handle has been used
  std::size_t m_max_idle;
};

} // namespace offsite::server
