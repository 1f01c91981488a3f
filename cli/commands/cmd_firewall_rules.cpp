// `offsite firewall-rules`: what the firewall administrator must allow, from
// the current network map and the transport this machine uses. Works before
// registration too (then from the registration pair and the subnets).
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/config/client_config.hpp"
#include "cli/config/paths.hpp"
#include "cli/firewall/firewall_rules.hpp"
#include "cli/network/transport_settings.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

struct FirewallOptions {
  std::string format = "text";
  bool inbound = false;
};

FirewallInputs inputs_from(const GlobalOptions& global, bool inbound) {
  const auto dir = config_dir(global);
  const auto loaded = load_config(dir);
  ClientConfig config = loaded.value_or(ClientConfig{});
  if (!loaded) config = built_in_config();
  apply_environment(config);
  // No password is needed to print rules: never prompt here.
  const auto settings =
      resolve_transport(global.transport, config.transport, process_environment());

  FirewallInputs in;
  in.subnets = config.subnets;
  in.registration = config.registration.both();
  if (config.storage) in.storage = config.storage->both();
  in.port = config.registration.primary.port;
  in.source_ports = settings.source_ports;
  in.ephemeral_ports = system_ephemeral_ports();
  in.inbound = inbound;
  if (settings.proxy) {
    const auto& proxy = *settings.proxy;
    in.proxy = proxy.proxy;
    in.proxy_description = proxy.describe();
    switch (proxy.scheme->family) {
    case transport::ProxyFamily::socks: in.path = FirewallInputs::Path::socks; break;
    case transport::ProxyFamily::http: in.path = FirewallInputs::Path::http; break;
    case transport::ProxyFamily::mapped:
      in.path = FirewallInputs::Path::mapped;
      in.firewall_host = proxy.proxy.host;
      for (const auto& [server, port] : settings.map)
        in.mapping.emplace_back(server, port);
      break;
    }
  }
  in.generated_from =
      fmt::format("{} (network map version {}), transport {}",
                  loaded ? config_file(dir).string() : std::string("the built-in defaults"),
                  config.network_map_version, settings.describe());
  return in;
}

int run_firewall_rules(const GlobalOptions& global, const FirewallOptions& options,
                       Terminal& terminal) {
  const auto format = parse_rule_format(options.format);
  if (!format)
    throw Error(Code::usage, fmt::format("unknown --format \"{}\"", printable(options.format)),
                fmt::format("choose one of: {}", fmt::join(rule_format_names(), ", ")));
  const auto in = inputs_from(global, options.inbound);
  if (*format == RuleFormat::json || global.json) {
    auto document = rules_document(in);
    // With --json and a dialect, the document carries the rules in it too,
    // as that dialect writes them: a script wants the iptables lines it
    // asked for, not to be told --format was ignored.
    if (*format != RuleFormat::json && *format != RuleFormat::text) {
      document["format"] = options.format;
      document["rendered"] = render_rules(in, *format);
    }
    terminal.emit(std::move(document));
    return 0;
  }
  std::cout << render_rules(in, *format) << std::flush;
  return 0;
}

} // namespace

void register_firewall_rules(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand("firewall-rules",
                                 "Print what a firewall must allow for offsite, in its own syntax");
  auto options = std::make_shared<FirewallOptions>();
  sub->add_option("--format", options->format,
                  "text, json, iptables, nftables, pf, ufw, firewalld, windows or cisco")
      ->type_name("FORMAT");
  sub->add_flag("--inbound", options->inbound,
                "also allow return traffic to this machine's source ports (filters without "
                "connection tracking)");
  sub->footer("Examples:\n"
              "  offsite firewall-rules\n"
              "  offsite firewall-rules --format nftables > offsite.nft && nft -f offsite.nft\n"
              "  offsite --source-ports 1024-5000 firewall-rules --format iptables --inbound");
  sub->callback([&global, options] {
    global.run = [&global, options](Terminal& t) {
      return run_firewall_rules(global, *options, t);
    };
  });
}

} // namespace offsite::cli
