#pragma once
// Threads that run a connection's requests while its own thread keeps
// reading and writing frames. Threads start on demand, up to `max_threads`,
// and then stay until the pool is destroyed: a thread is never created per
// request.
//
// Thread-safe. The destructor runs what is still queued, then joins.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace offsite::server {

class WorkerPool {
public:
  explicit WorkerPool(std::size_t max_threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; it runs on one of the pool's threads. `task` must not
  // throw. Throws std::system_error only when no thread exists and none can
  // be started.
  void run(std::function<void()> task);

private:
  void work();
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<std::function<void()>> m_tasks;
  std::vector<std::thread> m_threads;
  std::size_t m_max_threads;
  std::size_t m_idle = 0;
  bool m_stopping = false;
};

} // namespace offsite::server
