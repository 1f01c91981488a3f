#include "server/serve/serve.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <pthread.h>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/store/latency_store.hpp"
#include "server/serve/byte_budget.hpp"
#include "server/serve/connection_limits.hpp"
#include "server/serve/pipelined_connection.hpp"
#include "server/serve/worker_pool.hpp"
#include "server/state/identity_store.hpp"
#include "server/store/open_store.hpp"
#include "transport/net/socket_stream.hpp"
#include "transport/net/tcp_listener.hpp"
#include "transport/tls/tls.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::server {

using transport::Deadline;

namespace {

// The live connections, so that shutdown can abort the idle ones and wait
// for the busy ones.
class Connections {
public:
  explicit Connections(std::size_t limit) : m_limit(limit) {}

  // A slot for a new connection, or nullopt when the limit is reached.
  std::optional<std::uint64_t> open() {
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_live.size() >= m_limit) return std::nullopt;
    const auto id = m_next++;
    m_live.emplace(id, Entry{});
    return id;
  }
  // The connection is about to wait for a request on `stream`; false when the
  // server is stopping (then it should close instead).
  bool wait_for_request(std::uint64_t id, transport::Stream* stream, const WakeFd* wake) {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return false;
    m_live[id] = Entry{stream, true, wake};
    return true;
  }
  bool stopping() {
    std::lock_guard lock(m_mutex);
    return m_stopping;
  }
  // The stream is about to be destroyed: no abort may touch it any more.
  void forget_stream(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    m_live[id] = Entry{};
  }
  void busy(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    m_live[id].idle = false;
  }
  void close(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    m_live.erase(id);
    m_changed.notify_all();
  }
  // Aborts idle connections and waits up to `grace` for all to end; false
  // when some did not.
  bool stop(std::chrono::seconds grace) {
    std::unique_lock lock(m_mutex);
    m_stopping = true;
    for (auto& [id, entry] : m_live) {
      if (entry.idle && entry.stream) entry.stream->abort();
      if (entry.wake) entry.wake->notify();
    }
    return m_changed.wait_for(lock, grace, [&] { return m_live.empty(); });
  }

private:
  struct Entry {
    transport::Stream* stream = nullptr;
    bool idle = false;
    const WakeFd* wake = nullptr; // rung on stop, so a busy pipeline stops reading
  };
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::uint64_t, Entry> m_live;
  std::uint64_t m_next = 1;
  std::size_t m_limit;
  bool m_stopping = false;
};

void log_line(const std::string& text) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "offsited: %s\n", text.c_str());
  std::fflush(stderr);
}

// What strangers cause (refused connections, bad frames and timeouts
// before login) is logged one line each, but at most k_per_second lines a
// second: a flood of them must not fill the disk with its log. The lines
// left out are counted in the next line that is written.
class StrangerLog {
public:
  void write(std::string line) {
    std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (now - m_window_start >= std::chrono::seconds(1)) {
      m_window_start = now;
      m_in_window = 0;
    }
    if (m_in_window >= k_per_second) {
      ++m_left_out;
      return;
    }
    ++m_in_window;
    if (m_left_out != 0)
      line += fmt::format(" ({} more such lines not logged)", std::exchange(m_left_out, 0));
    log_line(line);
  }

private:
  static constexpr std::size_t k_per_second = 20;
  std::mutex m_mutex;
  std::chrono::steady_clock::time_point m_window_start{};
  std::size_t m_in_window = 0;
  std::uint64_t m_left_out = 0;
};

struct Runtime {
  const ServeOptions& options;
  ServerContext& context;
  const transport::TlsServer& tls;
  Connections& connections;
  ConnectionLimits& limits;
  StrangerLog& strangers;
  ByteBudget& budget;
  WorkerPool* shared_workers; // nullptr: each connection has its own
};

std::string peer_ip_of(const transport::SocketStream& socket) {
  try {
    return transport::peer_endpoint(socket.native_handle()).host;
  } catch (const std::exception&) {
    return "unknown";
  }
}

void run_connection(Runtime& rt, std::uint64_t slot,
                    std::unique_ptr<transport::SocketStream> socket, const std::string& peer_ip) {
  const std::string peer = socket->peer();
  const auto& options = rt.options;
  // Before login a peer gets small frames and little time: what it may make
  // the server allocate or hold is bounded by these, not by what it announces.
  auto login_deadline = Deadline::after(options.login_timeout);
  bool logged_in = false;
  // Declared out here so that it is destroyed only after forget_stream():
  // Connections::stop may abort it until then.
  std::unique_ptr<transport::TlsStream> stream;
  std::unique_ptr<WakeFd> wake; // the same: Connections::stop may ring it
  try {
    wake = std::make_unique<WakeFd>();
    stream = rt.tls.accept(std::move(socket),
                           Deadline::after(options.handshake_timeout).earliest(login_deadline));
    Session session(rt.context, peer_ip);
    const ConnectionHooks hooks{
        [&] { return rt.connections.wait_for_request(slot, stream.get(), wake.get()); },
        [&] { rt.connections.busy(slot); }, [&] { return rt.connections.stopping(); }};
    const PipelineSettings pipeline{options.max_requests_in_flight, options.idle_timeout,
                                    rt.shared_workers};
    for (;;) {
      // Before login: one request at a time, small frames, the login clock.
      while (!logged_in && rt.connections.wait_for_request(slot, stream.get(), wake.get())) {
        const auto deadline = Deadline::after(options.idle_timeout).earliest(login_deadline);
        auto request = transport::read_frame_or_eof(*stream, deadline, k_max_login_frame_size);
        rt.connections.busy(slot);
        if (!request) {
          stream->shutdown_write(Deadline::after(std::chrono::seconds(5)));
          break;
        }
        const auto reply = session.handle(*request);
        transport::write_frame(*stream, reply, Deadline::after(options.idle_timeout));
        logged_in = session.account().has_value();
      }
      if (!logged_in) break;
      if (serve_pipelined(*stream, session, rt.budget, *wake, pipeline, hooks) ==
          PipelineEnd::closed)
        break;
      // Logged out (unregister): a fresh, short allowance to log in again.
      logged_in = false;
      login_deadline = Deadline::after(options.login_timeout);
    }
  } catch (const transport::TransportError& e) {
    auto log = [&](std::string line) {
      if (logged_in)
        log_line(line);
      else
        rt.strangers.write(std::move(line));
    };
    if (e.kind() == transport::FailureKind::protocol)
      log(fmt::format("closed the connection from {}: {}", peer, e.what()));
    else if (e.kind() == transport::FailureKind::timeout && !stream)
      log(fmt::format("closed the connection from {}: no TLS handshake within {} s", peer,
                      options.handshake_timeout.count()));
    else if (e.kind() == transport::FailureKind::timeout && !logged_in)
      log(fmt::format("closed the connection from {}: no login within {} s", peer,
                      options.login_timeout.count()));
  } catch (const std::exception& e) {
    log_line(fmt::format("connection from {} failed: {}", peer, e.what()));
  }
  rt.connections.forget_stream(slot);
  stream.reset();
  wake.reset();
  rt.limits.release(address_group(peer_ip));
  // Last: once the slot is closed, serve() may return and `rt` be gone.
  rt.connections.close(slot);
}

void accept_loop(Runtime& rt, transport::TcpListener& listener) {
  for (;;) {
    std::unique_ptr<transport::SocketStream> socket;
    try {
      socket = listener.accept(Deadline::never());
    } catch (const std::exception& e) {
      // Out of descriptors or memory: back off instead of spinning.
      log_line(fmt::format("accept failed: {}", e.what()));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    if (!socket) return; // stopped
    std::string peer_ip = peer_ip_of(*socket);
    const std::string group = address_group(peer_ip);
    if (auto refusal = rt.limits.admit(group)) {
      rt.strangers.write(fmt::format("refused a connection from {}: {}", peer_ip, *refusal));
      continue; // closed at once
    }
    const auto slot = rt.connections.open();
    if (!slot) { // stopping
      rt.limits.release(group);
      continue;
    }
    try {
      std::thread(run_connection, std::ref(rt), *slot, std::move(socket), std::move(peer_ip))
          .detach();
    } catch (const std::system_error& e) {
      rt.limits.release(group);
      rt.connections.close(*slot);
      log_line(fmt::format("cannot start a connection thread: {}", e.what()));
    }
  }
}

std::vector<std::string> endpoint_texts(const std::vector<transport::Endpoint>& endpoints) {
  std::vector<std::string> out;
  out.reserve(endpoints.size());
  for (const auto& e : endpoints)
    out.push_back(e.to_string());
  return out;
}

// The /24 (IPv4) or /64 (IPv6) around each listen address: what the network
// map announces when no --subnet is given.
std::vector<std::string> default_subnets(const std::vector<transport::Endpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& e : endpoints) {
    auto ip = transport::IpAddress::parse(e.host);
    if (!ip) continue;
    transport::Cidr cidr{*ip, ip->family == transport::IpAddress::Family::v4 ? 24u : 64u};
    const std::size_t keep_bytes = cidr.prefix_length / 8;
    for (std::size_t i = keep_bytes; i < cidr.network.bytes.size(); ++i)
      cidr.network.bytes[i] = 0;
    const auto text = cidr.to_string();
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
  }
  return out;
}

} // namespace

int serve(ServeOptions options) {
  if (options.listen.empty())
    throw Error(Code::usage, "no address to listen on", "give --listen IP:PORT");
  const auto identity = load_identity(options.data_dir);
  if (!identity)
    throw Error(Code::config,
                fmt::format("{} holds no data-centre identity", options.data_dir.string()),
                fmt::format("run offsited init --data {} first", options.data_dir.string()));
  std::vector<std::string> ips;
  for (const auto& e : options.listen)
    if (std::find(ips.begin(), ips.end(), e.host) == ips.end()) ips.push_back(e.host);
  const auto leaf = transport::issue_server_cert(*identity, ips);
  const transport::TlsServer tls({leaf.key_pem, leaf.chain_pem(*identity)});

  // Block the signals before any thread starts, so every thread inherits the
  // mask and only sigwait() below ever sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::unique_ptr<transport::TcpListener>> listeners;
  listeners.reserve(options.listen.size());
  for (const auto& e : options.listen)
    listeners.push_back(transport::TcpListener::listen(e));
  std::vector<transport::Endpoint> bound;
  bound.reserve(listeners.size());
  for (const auto& l : listeners)
    bound.push_back(l->local_endpoint());

  auto& server = options.server;
  // One process cannot know its partner: it announces no registration pair
  // then, and clients keep the one they have.
  if (server.registration_pair.empty() && bound.size() == 2)
    server.registration_pair = endpoint_texts(bound);
  if (server.storage_pair.empty()) server.storage_pair = endpoint_texts(bound);
  if (server.storage_pair.size() == 1) server.storage_pair.push_back(server.storage_pair[0]);
  if (server.subnets.empty()) server.subnets = default_subnets(bound);
  server.port = bound.front().port;

  const auto opened_store = open_data_store(options.data_dir);
  std::optional<core::LatencyStore> slowed; // test-only, see latency_store.hpp
  if (const auto latency = core::LatencyStore::from_environment())
    slowed.emplace(*opened_store, *latency);
  core::Store& store = slowed ? static_cast<core::Store&>(*slowed) : *opened_store;
  if (!server.log) server.log = log_line;
  ServerContext context(store, server);
  // The limits decide admission; `connections` only tracks what is open.
  Connections connections(options.max_connections);
  ConnectionLimits limits(options.max_connections, options.max_connections_per_address);
  StrangerLog strangers;
  ByteBudget budget(options.request_memory_budget);
  std::unique_ptr<WorkerPool> shared_workers;
  if (options.shared_workers != 0)
    shared_workers = std::make_unique<WorkerPool>(options.shared_workers);
  Runtime rt{options, context, tls, connections, limits, strangers, budget, shared_workers.get()};

  std::vector<std::thread> acceptors;
  acceptors.reserve(listeners.size());
  for (auto& l : listeners)
    acceptors.emplace_back(accept_loop, std::ref(rt), std::ref(*l));
  for (const auto& e : bound)
    std::cout << "listening on " << e.to_string() << std::endl;

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  log_line(fmt::format("{}: stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"));
  for (auto& l : listeners)
    l->stop();
  for (auto& t : acceptors)
    t.join();
  if (!connections.stop(options.shutdown_grace)) {
    // A request is stuck (a peer not reading its reply): its writes are
    // atomic in the store, so leaving now loses nothing durable.
    log_line("some connections did not finish in time; exiting anyway");
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}

} // namespace offsite::server
