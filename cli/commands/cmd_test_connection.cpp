// `offsite test-connection`: can this machine reach the data centre, and if
// not, where exactly does the path break? Every server the client may use
// is tried step by step (connection_probe.hpp). `--detect` tries the
// possible paths (direct first, then the proxies it can find) and reports
// the first that works; `--save` keeps it in the configuration.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/config/client_config.hpp"
#include "cli/config/paths.hpp"
#include "cli/network/connection_probe.hpp"
#include "cli/network/transport_settings.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/usage_errors.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

struct TestConnectionOptions {
  bool detect = false;
  bool save = false;
  double timeout_seconds = 10;
};

struct Loaded {
  std::filesystem::path dir;
  ClientConfig config;
  bool from_file = false;
  std::optional<Credentials> credentials;
};

Loaded load(const GlobalOptions& global) {
  Loaded out;
  out.dir = config_dir(global);
  auto config = load_config(out.dir);
  out.from_file = config.has_value();
  out.config = config ? *config : built_in_config();
  apply_environment(out.config);
  if (out.config.account_id) out.credentials = load_credentials(out.dir);
  if (out.config.fingerprint.empty())
    throw Error(Code::config, "the data centre's fingerprint is not known",
                "register first, or set it with \"offsite config set fingerprint sha256:...\"");
  return out;
}

void print_probe(Terminal& terminal, const ServerProbe& probe) {
  if (terminal.json()) {
    auto event = probe_json(probe);
    event["type"] = "server";
    terminal.emit(std::move(event));
    return;
  }
  terminal.out(fmt::format("{} {} ({})", probe.role, probe.server.to_string(), probe.path));
  for (const auto& s : probe.steps) {
    terminal.out(fmt::format("  {:<16} {:<6} {:>7.0f} ms  {}", s.name, s.ok ? "ok" : "FAILED", s.ms,
                             s.detail));
    if (!s.ok) terminal.out(fmt::format("  {:<16} -> {}", "", s.advice));
  }
}

Code code_for(const std::string& result) {
  if (result == "failover_only") return Code::failover_only;
  return result == "partial" ? Code::partial : Code::no_server;
}

int exit_for(const std::string& result) {
  return result == "ok" ? 0 : code_info(code_for(result)).exit_status;
}

std::string verdict(const std::string& result) {
  if (result == "ok") return "the client can work: every server it may need is reachable";
  if (result == "failover_only")
    return "the client can work, but only through failover: a server it may need is not "
           "reachable";
  if (result == "partial")
    return "only partly reachable: a pair the client needs has no reachable server";
  return "no server is reachable";
}

// One path, every server. Returns the overall result.
std::string run_probes(const Loaded& loaded, const TransportSettings& settings,
                       const TestConnectionOptions& options, Terminal& terminal,
                       nlohmann::json& servers) {
  ProbeOptions probe;
  probe.config = &loaded.config;
  probe.settings = &settings;
  probe.credentials = loaded.credentials;
  probe.step_timeout = std::chrono::milliseconds(static_cast<long>(options.timeout_seconds * 1000));
  std::vector<ServerProbe> probes;
  const auto pairs = [&] {
    std::vector<std::pair<std::string, transport::Endpoint>> out;
    const auto reg = loaded.config.registration.both();
    out.emplace_back("registration primary", reg[0]);
    out.emplace_back("registration alternate", reg[1]);
    if (loaded.config.storage) {
      const auto storage = loaded.config.storage->both();
      out.emplace_back("storage primary", storage[0]);
      out.emplace_back("storage alternate", storage[1]);
    }
    return out;
  }();
  for (const auto& [role, server] : pairs) {
    probes.push_back(probe_server(probe, role, server, role.starts_with("storage")));
    print_probe(terminal, probes.back());
    servers.push_back(probe_json(probes.back()));
  }
  return overall_result(probes);
}

// The paths --detect tries, in order: direct, then each proxy it can find:
// --proxy, the environment (unless --no-proxy), config.json (the text as
// found, so that a password inside a URL works).
struct Candidate {
  std::string origin;
  std::string proxy; // "direct" or a proxy URL
};

std::vector<Candidate> candidate_paths(const GlobalOptions& global, const Loaded& loaded) {
  std::vector<Candidate> found{{"default", "direct"}};
  if (!global.transport.proxy.empty()) found.push_back({"--proxy", global.transport.proxy});
  const auto env = process_environment();
  if (!global.transport.no_proxy)
    for (const char* name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
      if (const auto value = env(name)) found.push_back({name, *value});
  if (const auto it = loaded.config.transport.find("proxy");
      it != loaded.config.transport.end() && it->is_string())
    found.push_back({"config.json", it->get<std::string>()});
  // The same proxy found twice is tried once.
  std::vector<Candidate> unique;
  for (auto& candidate : found) {
    const bool seen = std::any_of(unique.begin(), unique.end(),
                                  [&](const Candidate& u) { return u.proxy == candidate.proxy; });
    if (!seen) unique.push_back(std::move(candidate));
  }
  return unique;
}

int run_detect(const GlobalOptions& global, const TestConnectionOptions& options,
               Terminal& terminal, const Loaded& loaded) {
  nlohmann::json tried = nlohmann::json::array();
  // The path it settles on: used and saved like any other, but its result
  // (and exit status) says failover was needed on every path tried.
  const auto adopt = [&](const TransportSettings& settings, const std::string& result) {
    bool saved = false;
    if (options.save) {
      ClientConfig config = load_config(loaded.dir).value_or(loaded.config);
      // Never the password: the URL as it reads without one.
      config.transport =
          settings.proxy ? set_transport_key(config.transport, "proxy", settings.proxy->redacted())
                         : unset_transport_key(config.transport, "proxy");
      save_config(loaded.dir, config);
      saved = true;
    }
    // The password is never saved; an unattended run must find it elsewhere.
    if (saved && settings.proxy && settings.proxy->wants_password())
      terminal.warning("the proxy password was not saved: give it to later runs with "
                       "OFFSITE_PROXY_PASSWORD, --proxy-password-file FILE, or \"offsite config "
                       "set proxy_password_file FILE\"");
    if (terminal.json()) {
      terminal.emit({{"type", "summary"},
                     {"command", "test-connection"},
                     {"result", result},
                     {"exit_code", exit_for(result)},
                     {"detected", settings.describe()},
                     {"saved", saved},
                     {"tried", tried}});
      if (result != "ok")
        throw Error(code_for(result), verdict(result),
                    "the server events above say which server failed and at which step");
      return 0;
    }
    terminal.out(fmt::format(
        "works{}: {}{}", result == "ok" ? "" : " only through failover", settings.describe(),
        saved ? fmt::format(" (saved to {})", config_file(loaded.dir).string()) : ""));
    return exit_for(result);
  };
  std::optional<TransportSettings> failover_path;
  const auto candidates = candidate_paths(global, loaded);
  for (const auto& [origin, proxy] : candidates) {
    TransportFlags flags = global.transport;
    flags.no_proxy = true; // the candidate decides, not the environment
    flags.proxy = proxy;
    TransportSettings settings;
    try {
      settings = transport_settings(flags, loaded.config.transport);
    } catch (const Error& e) {
      terminal.warning(fmt::format("skipping the proxy from {}: {}", origin, e.what()));
      continue;
    }
    terminal.info(fmt::format("trying {} (from {})", settings.describe(), origin));
    nlohmann::json servers = nlohmann::json::array();
    const auto result = run_probes(loaded, settings, options, terminal, servers);
    tried.push_back({{"path", settings.describe()}, {"origin", origin}, {"result", result}});
    if (result == "ok") return adopt(settings, result);
    if (result == "failover_only" && !failover_path) failover_path = settings;
  }
  // A server that is down fails on every path: the first path on which the
  // client still works is the answer, said as such.
  if (failover_path) return adopt(*failover_path, "failover_only");
  if (terminal.json())
    terminal.emit({{"type", "summary"},
                   {"command", "test-connection"},
                   {"result", "unreachable"},
                   {"tried", tried}});
  if (candidates.size() == 1) // direct only: there was no proxy to try
    throw Error(Code::no_server,
                "no path to the data centre works: direct connections fail, and no proxy was found "
                "(none given with --proxy, in HTTPS_PROXY or ALL_PROXY, or in config.json)",
                "if this network has a proxy, run again with --proxy URL; otherwise "
                "\"offsite firewall-rules\" prints what the firewall must allow");
  throw Error(
      Code::no_server, "no path to the data centre works: direct and every proxy found failed",
      "see the steps above; \"offsite firewall-rules\" prints what the firewall must allow");
}

int run_test_connection(const GlobalOptions& global, const TestConnectionOptions& options,
                        Terminal& terminal) {
  if (options.save && !options.detect)
    throw Error(Code::usage, "--save works only with --detect",
                "run \"offsite test-connection --detect --save\"");
  terminal.stream_events();
  const Loaded loaded = load(global);
  if (options.detect) return run_detect(global, options, terminal, loaded);

  const auto settings = transport_settings(global.transport, loaded.config.transport);
  terminal.info(fmt::format("transport: {}", settings.describe()));
  nlohmann::json servers = nlohmann::json::array();
  const auto result = run_probes(loaded, settings, options, terminal, servers);
  if (!terminal.json()) {
    terminal.out(fmt::format("result: {}", verdict(result)));
    return exit_for(result);
  }
  terminal.emit({{"type", "summary"},
                 {"command", "test-connection"},
                 {"transport", settings.describe()},
                 {"result", result},
                 {"exit_code", exit_for(result)},
                 {"servers", servers}});
  // Like every failing command's JSON, a failure ends with the error object.
  if (result != "ok")
    throw Error(code_for(result), verdict(result),
                "the server events above say which step fails; \"offsite firewall-rules\" "
                "prints what the firewall must allow");
  return 0;
}

} // namespace

void register_test_connection(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "test-connection", "Check every data-centre server step by step, and say what blocks it");
  auto options = std::make_shared<TestConnectionOptions>();
  sub->add_flag("--detect", options->detect,
                "try direct, then each proxy found: --proxy, the environment, the configuration");
  // Not ->needs(): CLI11 would print "Needs: --detect" in help.
  sub->add_flag("--save", options->save, "with --detect: keep the path that works");
  sub->add_option("--timeout", options->timeout_seconds, "seconds allowed per step (default 10)")
      ->type_name("SECONDS")
      ->check(number_between(0.1, 600.0, "seconds"));
  sub->footer("Examples:\n"
              "  offsite test-connection\n"
              "  offsite --proxy socks5://proxy.lan:1080 test-connection\n"
              "  offsite test-connection --detect --save");
  sub->callback([&global, options] {
    global.run = [&global, options](Terminal& t) {
      return run_test_connection(global, *options, t);
    };
  });
}

} // namespace offsite::cli
