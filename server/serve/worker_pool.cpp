#include "server/serve/worker_pool.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

namespace offsite::server {

WorkerPool::WorkerPool(std::size_t max_threads)
    : m_max_threads(std::max<std::size_t>(max_threads, 1)) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  for (auto& thread : m_threads)
    thread.join();
}

void WorkerPool::run(std::function<void()> task) {
  std::unique_lock lock(m_mutex);
  m_tasks.push_back(std::move(task));
  if (m_idle >= m_tasks.size() || m_threads.size() >= m_max_threads) {
    lock.unlock();
    m_wake.notify_one();
    return;
  }
  try {
    m_threads.emplace_back([this] { work(); });
  } catch (const std::system_error&) {
    // Out of threads: the ones there are will get to it; with none, the
    // task would wait forever.
    if (m_threads.empty()) {
      m_tasks.pop_back();
      throw;
    }
  }
  lock.unlock();
  m_wake.notify_one();
}

void WorkerPool::work() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    ++m_idle;
    m_wake.wait(lock, [&] { return m_stopping || !m_tasks.empty(); });
    --m_idle;
    if (m_tasks.empty()) return; // stopping, and nothing left to run
    auto task = std::move(m_tasks.front());
    m_tasks.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

} // namespace offsite::server
