#pragma once
// A logged-in connection's loop: its thread keeps reading requests while
// earlier ones run on workers (RequestScheduler), and writes each reply as
// soon as every earlier one is written, so replies leave strictly in request
// order (offsite-protocol(7), "Pipelining and replies") however the store's
// latencies fall.
//
// One thread does all the stream's I/O (a TLS session cannot read and write
// from two threads at once): it polls the socket and an eventfd that the
// workers and shutdown ring.
//
// Back-pressure: a frame is charged to the process's ByteBudget once its
// length is known and before its bytes are read (a get also for its reply's
// range); while the budget is spent the connection writes its finished
// replies and reads nothing, so the client's writes stall in TCP.
//
// Timeouts: idle_timeout between requests counts only while nothing is in
// flight; a frame, once started, and every reply must move within it too.

#include <chrono>
#include <cstddef>
#include <functional>

#include "server/handler/handler.hpp"
#include "server/serve/byte_budget.hpp"
#include "server/serve/worker_pool.hpp"
#include "transport/net/stream.hpp"

namespace offsite::server {

// An eventfd: workers and shutdown ring it, the connection's poll wakes.
class WakeFd {
public:
  WakeFd();
  ~WakeFd();
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  void notify() const noexcept; // any thread
  void clear() const noexcept;
  int fd() const { return m_fd; }

private:
  int m_fd;
};

// How the loop reports to serve's table of live connections.
struct ConnectionHooks {
  // Nothing is in flight and the loop is about to wait for a request (the
  // connection may then be aborted by shutdown); false: stop now.
  std::function<bool()> wait_for_request;
  std::function<void()> busy;     // a request is in flight
  std::function<bool()> stopping; // the server is shutting down
};

struct PipelineSettings {
  std::size_t max_in_flight = 16;
  std::chrono::seconds idle_timeout{120};
  // nullptr: the connection starts its own threads (up to max_in_flight).
  WorkerPool* shared_workers = nullptr;
};

enum class PipelineEnd {
  closed,     // the peer closed, timed out, or the server is stopping
  logged_out, // unregister: back to the pre-login rules
};

// Runs until the connection ends or logs out; every request read has then
// been answered. Throws TransportError when the stream fails; no request
// runs after it returns or throws.
PipelineEnd serve_pipelined(transport::Stream& stream, Session& session, ByteBudget& budget,
                            const WakeFd& wake, const PipelineSettings& settings,
                            const ConnectionHooks& hooks);

} // namespace offsite::server
