#include "cli/network/connection_probe.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/remote/wire_reply.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/proxy/proxy_connector.hpp"
#include "transport/tls/tls.hpp"
#include "transport/wire/frame_pipeline.hpp"

namespace offsite::cli {

using transport::Deadline;
using transport::Endpoint;
using transport::Failure;
using transport::FailureKind;

namespace {

using Clock = std::chrono::steady_clock;

// Runs one step; records it. Returns false when it failed (then the probe
// stops: every later step needs this one).
template <class F> bool step(ServerProbe& probe, std::string name, F&& body) {
  ProbeStep result;
  result.name = std::move(name);
  const auto start = Clock::now();
  try {
    result.detail = body();
    result.ok = true;
  } catch (const transport::TransportError& e) {
    result.failure = e.kind();
    result.detail =
        fmt::format("{}: {}", transport::failure_kind_name(e.kind()), e.failure().detail);
    result.advice = failure_advice(e.kind());
  } catch (const Error& e) {
    result.failure = FailureKind::other;
    result.detail = e.what();
    result.advice = e.hint();
  }
  result.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  probe.steps.push_back(std::move(result));
  return probe.steps.back().ok;
}

std::string role_name(const char* pair, std::size_t index) {
  return fmt::format("{} {}", pair, index == 0 ? "primary" : "alternate");
}

} // namespace

std::optional<FailureKind> ServerProbe::failure() const {
  if (steps.empty() || steps.back().ok) return std::nullopt;
  return steps.back().failure;
}

ServerProbe probe_server(const ProbeOptions& options, std::string role, const Endpoint& server,
                         bool authenticate) {
  const auto& config = *options.config;
  const auto& settings = *options.settings;
  ServerProbe probe;
  probe.role = std::move(role);
  probe.server = server;
  auto deadline = [&] { return Deadline::after(options.step_timeout); };

  const auto proxy = make_proxy_layer(settings);
  const bool via_proxy = proxy && !bypasses_proxy(settings, server);
  probe.path = via_proxy ? proxy->describe() : "direct";

  if (!step(probe, "address check", [&]() -> std::string {
        if (const auto outside = outside_subnets({server}, config.subnets))
          throw transport::TransportError(FailureKind::outside_subnets, "address check", *outside);
        return "inside the data centre's subnets";
      }))
    return probe;

  std::unique_ptr<transport::Stream> stream;
  if (via_proxy) {
    const auto hop_ok = step(probe, "proxy connect", [&]() -> std::string {
      const Endpoint hop = proxy->first_hop(server);
      try {
        stream = proxy->inner()->connect(hop, deadline());
      } catch (const transport::TransportError& e) {
        throw transport::TransportError(proxy->first_hop_failure(e.failure(), server));
      }
      return fmt::format("connected to {}", hop.to_string());
    });
    if (!hop_ok) return probe;
    if (!step(probe, "proxy handshake", [&]() -> std::string {
          stream = proxy->handshake(std::move(stream), server, deadline());
          return fmt::format("tunnel to {} open", server.to_string());
        }))
      return probe;
  } else {
    transport::TcpOptions tcp;
    tcp.source_ports = settings.source_ports;
    if (!step(probe, "tcp connect", [&]() -> std::string {
          stream = transport::TcpConnector(tcp).connect(server, deadline());
          return fmt::format("connected to {}", server.to_string());
        }))
      return probe;
  }

  // The handshake checks the pin too; a pin failure still means TLS itself
  // worked, so it is reported as its own step.
  std::unique_ptr<transport::TlsStream> tls;
  std::optional<transport::TransportError> pin_failure;
  if (!step(probe, "tls handshake", [&]() -> std::string {
        transport::TlsConnector connector(std::make_shared<transport::TcpConnector>(),
                                          {config.fingerprint, {}});
        try {
          tls = connector.handshake(std::move(stream), server, deadline());
        } catch (const transport::TransportError& e) {
          if (e.kind() != FailureKind::tls_intercepted && e.kind() != FailureKind::tls_untrusted)
            throw;
          pin_failure = e;
        }
        return "TLS 1.3, ALPN offsite/1";
      }))
    return probe;
  if (!step(probe, "identity", [&]() -> std::string {
        if (pin_failure) throw *pin_failure;
        return fmt::format("pinned {}", tls->verified_identity());
      }))
    return probe;

  auto pipeline = std::make_shared<transport::FramePipeline>(std::move(tls));
  if (!step(probe, "hello", [&]() -> std::string {
        const auto hello = say_hello(*pipeline);
        return util::printable(hello.server.empty() ? "offsited" : hello.server, k_server_text);
      }))
    return probe;

  if (authenticate && options.credentials)
    step(probe, "login", [&]() -> std::string {
      decode_reply<transport::wire::AuthReply>(
          call(*pipeline, transport::wire::AuthRequest{options.credentials->account_id,
                                                       options.credentials->secret}),
          "log in");
      return fmt::format("account {}", options.credentials->account_id);
    });
  return probe;
}

std::vector<ServerProbe> probe_all(const ProbeOptions& options) {
  std::vector<ServerProbe> probes;
  const auto& config = *options.config;
  const auto registration = config.registration.both();
  for (std::size_t i = 0; i < registration.size(); ++i)
    probes.push_back(probe_server(options, role_name("registration", i), registration[i], false));
  if (config.storage) {
    const auto storage = config.storage->both();
    for (std::size_t i = 0; i < storage.size(); ++i)
      probes.push_back(probe_server(options, role_name("storage", i), storage[i], true));
  }
  return probes;
}

std::string overall_result(const std::vector<ServerProbe>& probes) {
  bool any = false;
  bool every_pair = true;
  for (const char* pair : {"registration", "storage"}) {
    bool present = false;
    bool reachable = false;
    for (const auto& probe : probes) {
      if (!probe.role.starts_with(pair)) continue;
      present = true;
      reachable = reachable || probe.ok();
    }
    any = any || reachable;
    if (present && !reachable) every_pair = false;
  }
  if (!any) return "unreachable";
  if (!every_pair) return "partial";
  // Failover hides a blocked or dead server from every other command; the
  // administrator running this needs to see it.
  const bool all = std::all_of(probes.begin(), probes.end(),
                               [](const ServerProbe& probe) { return probe.ok(); });
  return all ? "ok" : "failover_only";
}

nlohmann::json probe_json(const ServerProbe& probe) {
  auto steps = nlohmann::json::array();
  for (const auto& s : probe.steps) {
    nlohmann::json item{{"step", s.name},
                        {"ok", s.ok},
                        {"ms", static_cast<std::int64_t>(s.ms)},
                        {"detail", s.detail}};
    if (s.failure) {
      item["failure"] = transport::failure_kind_name(*s.failure);
      item["advice"] = s.advice;
    }
    steps.push_back(std::move(item));
  }
  nlohmann::json out{{"role", probe.role},
                     {"address", probe.server.to_string()},
                     {"path", probe.path},
                     {"ok", probe.ok()},
                     {"steps", std::move(steps)}};
  if (const auto failure = probe.failure()) out["failure"] = transport::failure_kind_name(*failure);
  return out;
}

} // namespace offsite::cli
