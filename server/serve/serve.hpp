#pragma once
// `offsited serve`: TLS listeners in front of the request handler.
//
// Threads: the main thread waits for SIGTERM/SIGINT with sigwait() (the
// signals are blocked in every thread, so no code runs in signal context);
// one accept thread per listener; one thread per connection, which reads a
// request, handles it and writes its reply before reading the next, so
// replies leave in request order however deeply the client pipelines.
//
// Strangers: a connection is admitted only within the total and the
// per-address limit (refusals are logged, rate-limited); until it logs in it
// may send frames of at most k_max_login_frame_size and must log in within
// login_timeout of its accept, so idle or slow strangers cannot hold slots
// and announced lengths cost no memory.
//
// Shutdown: stop the listeners, abort connections that are waiting for a
// request, let the others finish the request in hand, then exit 0.

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
};

// Runs until SIGTERM or SIGINT; returns the exit status. Throws Error for a
// missing identity or an address it cannot listen on.
int serve(ServeOptions options);

} // namespace offsite::server
