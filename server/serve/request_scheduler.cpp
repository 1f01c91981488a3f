#include "server/serve/request_scheduler.hpp"

#include <utility>

namespace offsite::server {

namespace {

// What a reply's header may add to its payload, for the budget: the
// largest are list replies, far below this on average.
constexpr std::size_t k_reply_header_estimate = 4096;

} // namespace

RequestScheduler::RequestScheduler(WorkerPool& workers, std::size_t max_in_flight, Handler handle,
                                   std::function<void()> on_ready)
    : m_workers(workers), m_max_in_flight(max_in_flight == 0 ? 1 : max_in_flight),
      m_handle(std::move(handle)), m_on_ready(std::move(on_ready)) {}

RequestScheduler::~RequestScheduler() { cancel(); }

bool RequestScheduler::has_room() const {
  std::lock_guard lock(m_mutex);
  return !m_cancelled && m_entries.size() < m_max_in_flight;
}

std::size_t RequestScheduler::in_flight() const {
  std::lock_guard lock(m_mutex);
  return m_entries.size();
}

void RequestScheduler::submit(transport::Frame request, RequestOrder order,
                              ByteBudget::Charge charge) {
  std::lock_guard lock(m_mutex);
  if (m_cancelled) return;
  auto entry = std::make_unique<Entry>();
  entry->request = std::move(request);
  entry->order = std::move(order);
  entry->charge = std::move(charge);
  m_entries.push_back(std::move(entry));
  start_ready_locked();
}

std::optional<RequestScheduler::Reply> RequestScheduler::take_reply() {
  std::lock_guard lock(m_mutex);
  if (m_entries.empty() || !m_entries.front()->done) return std::nullopt;
  auto entry = std::move(m_entries.front());
  m_entries.pop_front();
  return Reply{std::move(entry->reply), std::move(entry->charge)};
}

void RequestScheduler::cancel() {
  std::unique_lock lock(m_mutex);
  m_cancelled = true;
  m_idle.wait(lock, [&] { return m_running == 0; });
  m_entries.clear();
}

bool RequestScheduler::may_start_locked(std::size_t index) const {
  const auto& candidate = m_entries[index]->order;
  for (std::size_t i = 0; i < index; ++i) {
    const auto& earlier = *m_entries[i];
    if (!earlier.done && must_follow(earlier.order, candidate)) return false;
  }
  return true;
}

void RequestScheduler::start_ready_locked() {
  if (m_cancelled) return;
  // At most max_in_flight entries: the quadratic scan is a few hundred
  // comparisons, cheaper than keeping a dependency graph.
  for (std::size_t i = 0; i < m_entries.size(); ++i) {
    Entry& entry = *m_entries[i];
    if (entry.started || !may_start_locked(i)) continue;
    entry.started = true;
    ++m_running;
    try {
      m_workers.run([this, raw = &entry] { run(raw); });
    } catch (...) {
      // No thread to run it on: answer it here rather than never.
      --m_running;
      entry.reply = transport::make_reply_error(entry.request.id, "internal",
                                                "the server is out of threads; try again later");
      entry.done = true;
    }
  }
}

void RequestScheduler::run(Entry* entry) {
  bool cancelled = false;
  {
    std::lock_guard lock(m_mutex);
    cancelled = m_cancelled;
  }
  // Only this thread touches the entry's request and reply until `done` is
  // set under the lock; the connection's thread waits for that.
  transport::Frame reply;
  if (!cancelled) {
    try {
      reply = m_handle(entry->request);
    } catch (
        const std::exception& e) { // the handler answers its own failures; this is a last resort
      reply = transport::make_reply_error(entry->request.id, "internal", e.what());
    }
  }
  {
    std::lock_guard lock(m_mutex);
    entry->request = {}; // the payload is not needed any more
    entry->charge.resize(reply.payload.size() + k_reply_header_estimate);
    entry->reply = std::move(reply);
    entry->done = true;
    start_ready_locked();
  }
  if (!cancelled) m_on_ready();
  std::lock_guard lock(m_mutex);
  --m_running;
  m_idle.notify_all();
}

} // namespace offsite::server
