#pragma once
// `offsited serve`: TLS listeners in front of the request handler.
//
// Threads: the main thread waits for SIGTERM/SIGINT with sigwait() (the
// signals are blocked in every thread, so no code runs in signal context);
// one accept thread per listener; one thread per connection, which does all
// of that connection's reading and writing. Before login it handles one
// request at a time; once logged in it keeps reading while up to
// max_requests_in_flight requests run on worker threads (the connection's
// own, started on demand, or a shared pool), and writes the replies strictly
// in request order (pipelined_connection.hpp; which requests may overlap:
// request_order.hpp). Requests and replies held in memory are charged to one
// process-wide budget; when it is spent, connections stop reading.
//
// Strangers: a connection is admitted only within the total and the
// per-address limit (refusals are logged, rate-limited); until it logs in it
// may send frames of at most k_max_login_frame_size and must log in within
// login_timeout of its accept, so idle or slow strangers cannot hold slots
// and announced lengths cost no memory.
//
// Shutdown: stop the listeners, abort connections that are waiting for a
// request, let the others finish the requests in hand and write their
// replies (reading no more), then exit 0.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <vector>

#include "server/handler/handler.hpp"
#include "transport/net/endpoint.hpp"

namespace offsite::server {

// The largest frame read before a connection has logged in: enough for
// hello, register and auth, so a stranger's announced length costs nothing.
inline constexpr std::size_t k_max_login_frame_size = 64u << 10;

struct ServeOptions {
  std::filesystem::path data_dir;
  std::vector<transport::Endpoint> listen;
  ServerOptions server; // storage/registration pairs filled from `listen` when empty
  std::size_t max_connections = 64;
  std::size_t max_connections_per_address = 16; // one IPv4 address, or one IPv6 /64
  std::chrono::seconds handshake_timeout{10};
  // From accept to a successful auth (handshake, hello, register included).
  std::chrono::seconds login_timeout{15};
  std::chrono::seconds idle_timeout{120}; // between requests, once logged in
  std::chrono::seconds shutdown_grace{20};
  // Requests of one logged-in connection handled or waiting for their turn
  // to be answered at once; 1 handles one request at a time.
  std::size_t max_requests_in_flight = 16;
  // Bytes that requests read ahead and replies waiting for their turn may
  // hold, over all connections: 64 connections of 16 requests could
  // otherwise hold gigabytes of puts and get replies.
  std::size_t request_memory_budget = 256u << 20;
  // Worker threads shared by all connections; 0: each connection starts its
  // own, up to max_requests_in_flight (the default: measured no slower on
  // two cores, and one connection's slow store calls never hold up another's).
  std::size_t shared_workers = 0;
};

// Runs until SIGTERM or SIGINT; returns the exit status. Throws Error for a
// missing identity or an address it cannot listen on.
int serve(ServeOptions options);

} // namespace offsite::server
