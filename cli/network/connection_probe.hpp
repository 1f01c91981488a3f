#pragma once
// `offsite test-connection`'s engine: reaches one data-centre server the way
// every command does (same subnets check, same proxy, same TLS pin), but one
// layer at a time, timing each step and stopping at the first that fails,
// so the user learns exactly where the path breaks and what to do about it.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/config/client_config.hpp"
#include "cli/network/transport_settings.hpp"
#include "transport/net/failure.hpp"

namespace offsite::cli {

struct ProbeStep {
  std::string name; // "address check", "tcp connect", "proxy connect", ...
  bool ok = false;
  double ms = 0;
  std::string detail; // what was seen (the fingerprint, the server's name) or why it failed
  std::optional<transport::FailureKind> failure;
  std::string advice; // for a failure: what to do, in plain words
};

struct ServerProbe {
  std::string role; // "registration primary", "storage alternate", ...
  transport::Endpoint server;
  std::string path; // "direct", "SOCKS5 proxy 127.0.0.1:1080", ...
  std::vector<ProbeStep> steps;
  bool ok() const { return !steps.empty() && steps.back().ok; }
  // The failure of the last step, if it failed.
  std::optional<transport::FailureKind> failure() const;
};

struct ProbeOptions {
  const ClientConfig* config = nullptr; // subnets, fingerprint
  const TransportSettings* settings = nullptr;
  std::optional<Credentials> credentials; // to try the login too
  std::chrono::milliseconds step_timeout{std::chrono::seconds(10)};
};

ServerProbe probe_server(const ProbeOptions& options, std::string role,
                         const transport::Endpoint& server, bool authenticate);

// Every server the client may use: the registration pair, and the storage
// pair once registered (with the login when credentials are given).
std::vector<ServerProbe> probe_all(const ProbeOptions& options);

// "ok" when every server answered, "failover_only" when every pair needed
// has a reachable server but some server did not answer, "unreachable" when
// no server at all answered, else "partial".
std::string overall_result(const std::vector<ServerProbe>& probes);

nlohmann::json probe_json(const ServerProbe& probe);

} // namespace offsite::cli
