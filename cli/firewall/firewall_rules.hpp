#pragma once
// What a firewall administrator must allow for offsite, in the dialect of
// their firewall. The rules are computed once, as a small list of abstract
// rules (who opens what to where), from the network map and the transport;
// each format then only spells that list. So every format says the same
// thing, and a new format is one function.
//
// TCP only (PRODUCT.md §1): no UDP, no ICMP rule is ever printed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "transport/net/endpoint.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::cli {

enum class RuleFormat { text, json, iptables, nftables, pf, ufw, firewalld, windows, cisco };

// "text", "json", "iptables", ... ; nullopt for anything else.
std::optional<RuleFormat> parse_rule_format(std::string_view name);
std::vector<std::string> rule_format_names();

// Everything the rules depend on, already resolved from configuration.
struct FirewallInputs {
  std::vector<transport::Cidr> subnets;
  std::uint16_t port = transport::k_service_port;
  std::vector<transport::Endpoint> registration; // primary, alternate
  std::vector<transport::Endpoint> storage;      // empty before registration

  enum class Path { direct, socks, http, mapped };
  Path path = Path::direct;
  transport::Endpoint proxy;     // socks/http: host may be a name
  std::string proxy_description; // "SOCKS5 proxy proxy.lan:1080"
  std::string firewall_host;     // mapped
  std::vector<std::pair<transport::Endpoint, std::uint16_t>> mapping; // server -> firewall port

  // The client's local ports: the configured range, else the system's
  // ephemeral range; inbound rules are printed only with `inbound`.
  std::optional<transport::SourcePortRange> source_ports;
  transport::SourcePortRange ephemeral_ports{32768, 60999};
  bool inbound = false;

  std::string generated_from; // one line: which files and map version
};

// One thing to allow. `where` is "client" (the machine running offsite) or
// "proxy" (the proxy, which must itself reach the data centre).
struct AbstractRule {
  std::string where = "client";
  bool outbound = true;
  std::string remote; // CIDR, IP literal or host name
  std::uint16_t remote_port = 0;
  std::optional<transport::SourcePortRange> local_ports; // nullopt = any
  bool established_only = false;                         // return traffic only
  std::string why;
};

std::vector<AbstractRule> compute_rules(const FirewallInputs& inputs);

// The rules in `format`, with a comment saying what they were generated
// from. JSON is one document (see offsite(1), FIREWALL RULES).
std::string render_rules(const FirewallInputs& inputs, RuleFormat format);
nlohmann::json rules_document(const FirewallInputs& inputs);

// The system's ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range
// on Linux), or the Linux default when it cannot be read.
transport::SourcePortRange system_ephemeral_ports();

} // namespace offsite::cli
