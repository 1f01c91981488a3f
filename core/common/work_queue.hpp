#pragma once
// A blocking multi-producer multi-consumer queue with a byte budget.
//
// Why a budget and not a length: jobs are chunks of 512 KiB .. 8 MiB, and the
// memory they hold until a worker has sealed them is what must stay bounded.
// The budget is released by release(), called when a job's memory is gone
// (after the worker finished it), not when it is popped. A single job larger
// than the whole budget is still admitted when nothing else is in flight, so
// the queue can never deadlock on a big chunk.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace offsite::core {

template <class Job> class WorkQueue {
public:
  explicit WorkQueue(std::size_t max_bytes) : m_max_bytes(max_bytes) {}

  // Blocks while the budget is exhausted. Returns false (dropping the job)
  // once close() was called.
  bool push(Job job, std::size_t bytes) {
    std::unique_lock lock(m_mutex);
    m_space.wait(lock, [&] {
      return m_closed || m_in_flight_bytes == 0 || m_in_flight_bytes + bytes <= m_max_bytes;
    });
    if (m_closed) return false;
    m_in_flight_bytes += bytes;
    ++m_in_flight_jobs;
    m_jobs.emplace_back(std::move(job), bytes);
    m_ready.notify_one();
    return true;
  }

  // Blocks until a job is available; nullopt once closed and empty. The
  // second member is the budget to hand back to release().
  std::optional<std::pair<Job, std::size_t>> pop() {
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [&] { return m_closed || !m_jobs.empty(); });
    if (m_jobs.empty()) return std::nullopt;
    auto job = std::move(m_jobs.front());
    m_jobs.pop_front();
    return job;
  }

  // A popped job is finished and its memory freed.
  void release(std::size_t bytes) {
    std::lock_guard lock(m_mutex);
    m_in_flight_bytes -= bytes;
    --m_in_flight_jobs;
    m_space.notify_all();
    m_progress.notify_all();
  }

  // Blocks until `done()` is true; re-evaluated each time a job finishes.
  template <class Pred> void wait_until(Pred done) {
    std::unique_lock lock(m_mutex);
    m_progress.wait(lock, [&] { return done() || m_in_flight_jobs == 0; });
  }

  // Blocks until every pushed job was released.
  void wait_idle() {
    std::unique_lock lock(m_mutex);
    m_progress.wait(lock, [&] { return m_in_flight_jobs == 0; });
  }

  // Wakes everyone: push() refuses, pop() drains what is queued, then ends.
  void close() {
    std::lock_guard lock(m_mutex);
    m_closed = true;
    m_ready.notify_all();
    m_space.notify_all();
  }

  std::size_t in_flight_bytes() const {
    std::lock_guard lock(m_mutex);
    return m_in_flight_bytes;
  }

private:
  mutable std::mutex m_mutex;
  std::condition_variable m_ready;
  std::condition_variable m_space;
  std::condition_variable m_progress;
  std::deque<std::pair<Job, std::size_t>> m_jobs;
  std::size_t m_max_bytes;
  std::size_t m_in_flight_bytes = 0;
  std::size_t m_in_flight_jobs = 0;
  bool m_closed = false;
};

} // namespace offsite::core
