#pragma once
// One connection's requests in flight: handed to worker threads as soon as
// the ordering rules allow (request_order.hpp), answered strictly in the
// order they arrived. The connection's thread submits what it reads and
// writes what take_reply() gives it; a store 1-13 ms away then costs one
// round trip per window of requests, not one per request.
//
// Threads: submit, take_reply, in_flight and has_room belong to the
// connection's thread; `handle` runs on the executor's threads, several at
// once for object requests and alone for barriers, which is what Session's
// thread-safety contract (server/handler/handler.hpp) allows. `on_ready`
// is called on a worker thread each time a reply is finished (it must not
// block: the connection writes an eventfd).
//
// Memory: each request comes with its ByteBudget charge, which the
// scheduler resizes to the reply once handled and hands back with it.
//
// Destruction (or cancel()) drops every request not yet started and waits
// until the running ones return; their replies are dropped. So no request
// runs after its connection is gone, and `handle` may refer to objects that
// live as long as the scheduler.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "server/serve/byte_budget.hpp"
#include "server/serve/request_order.hpp"
#include "server/serve/worker_pool.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::server {

class RequestScheduler {
public:
  using Handler = std::function<transport::Frame(const transport::Frame&)>;

  RequestScheduler(WorkerPool& workers, std::size_t max_in_flight, Handler handle,
                   std::function<void()> on_ready);
  ~RequestScheduler();
  RequestScheduler(const RequestScheduler&) = delete;
  RequestScheduler& operator=(const RequestScheduler&) = delete;

  // True while fewer than max_in_flight requests await their reply's turn.
  bool has_room() const;
  // Requests submitted whose reply take_reply() has not yet returned.
  std::size_t in_flight() const;

  // Queues `request` (classified by order_of) with the budget it holds.
  void submit(transport::Frame request, RequestOrder order, ByteBudget::Charge charge);

  struct Reply {
    transport::Frame frame;
    ByteBudget::Charge charge; // give it back once the frame is written
  };
  // The next reply in request order once it is finished; nullopt when it is
  // still being handled (or nothing is in flight). Never blocks.
  std::optional<Reply> take_reply();

  // Drops what has not started and waits for what has. Idempotent.
  void cancel();

private:
  struct Entry {
    transport::Frame request;
    RequestOrder order;
    ByteBudget::Charge charge;
    bool started = false;
    bool done = false;
    transport::Frame reply;
  };
  void start_ready_locked();
  bool may_start_locked(std::size_t index) const;
  void run(Entry* entry);

  WorkerPool& m_workers;
  const std::size_t m_max_in_flight;
  Handler m_handle;
  std::function<void()> m_on_ready;
  mutable std::mutex m_mutex;
  std::condition_variable m_idle; // signalled when m_running drops
  // Arrival order; unique_ptr so that a running worker's Entry* stays put.
  std::deque<std::unique_ptr<Entry>> m_entries;
  std::size_t m_running = 0; // handed to the workers, not yet returned
  bool m_cancelled = false;
};

} // namespace offsite::server
