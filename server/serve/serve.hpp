#pragma once
// `offsited serve`: TLS listeners in front of the request handler.
//
// Threads: the main thread waits for SIGTERM/SIGINT with sigwait() (the
// signals are blocked in every thread, so no code runs in signal context);
// one accept thread per listener; one thread per connection, which reads a
// request, handles it and writes its reply before reading the next, so
// replies leave in request order however deeply the client pipelines.
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

struct ServeOptions {
  std::filesystem::path data_dir;
  std::vector<transport::Endpoint> listen;
  ServerOptions server; // storage/registration pairs filled from `listen` when empty
  std::size_t max_connections = 64;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds idle_timeout{120};
  std::chrono::seconds shutdown_grace{20};
};

// Runs until SIGTERM or SIGINT; returns the exit status. Throws Error for a
// missing identity or an address it cannot listen on.
int serve(ServeOptions options);

} // namespace offsite::server
