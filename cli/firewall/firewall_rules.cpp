#include "cli/firewall/firewall_rules.hpp"

#include <fstream>

#include <fmt/format.h>

#include "cli/firewall/firewall_formats.hpp"

namespace offsite::cli {

namespace {

constexpr std::pair<std::string_view, RuleFormat> k_formats[] = {
    {"text", RuleFormat::text},
    {"json", RuleFormat::json},
    {"iptables", RuleFormat::iptables},
    {"nftables", RuleFormat::nftables},
    {"pf", RuleFormat::pf},
    {"ufw", RuleFormat::ufw},
    {"firewalld", RuleFormat::firewalld},
    {"windows", RuleFormat::windows},
    {"cisco", RuleFormat::cisco},
};

std::string path_name(FirewallInputs::Path path) {
  switch (path) {
  case FirewallInputs::Path::direct: return "direct";
  case FirewallInputs::Path::socks: return "socks";
  case FirewallInputs::Path::http: return "http";
  case FirewallInputs::Path::mapped: return "mapped";
  }
  return "direct";
}

std::string text_rules(const FirewallInputs& in, const std::vector<AbstractRule>& rules) {
  std::string out = fmt::format("# offsite firewall rules, generated from {}\n", in.generated_from);
  out += "# TCP only: offsite never uses UDP or ICMP.\n\n";
  for (const char* where : {"client", "proxy"}) {
    bool header = false;
    for (const auto& rule : rules) {
      if (rule.where != where) continue;
      if (!header) {
        out += std::string_view(where) == "client"
                   ? "On the firewall in front of this machine, allow:\n"
                   : fmt::format("On the {} (it connects to the data centre for us), allow:\n",
                                 in.proxy_description);
        header = true;
      }
      const std::string local =
          rule.local_ports ? fmt::format(" (local ports {})", rule.local_ports->to_string()) : "";
      if (rule.outbound)
        out += fmt::format("  outbound TCP to {} port {}{}{}\n    ({})\n", rule.remote,
                           rule.remote_port, local,
                           rule.established_only ? ", established only" : "", rule.why);
      else
        out += fmt::format("  inbound TCP from {} port {}{}, established only\n    ({})\n",
                           rule.remote, rule.remote_port, local, rule.why);
    }
    if (header) out += "\n";
  }
  if (in.path == FirewallInputs::Path::mapped) {
    out += fmt::format("Mapping on the firewall {}:\n", in.firewall_host);
    for (const auto& [server, port] : in.mapping)
      out += fmt::format("  {}:{}  ->  {}\n", in.firewall_host, port, server.to_string());
  }
  return out;
}

} // namespace

std::optional<RuleFormat> parse_rule_format(std::string_view name) {
  for (const auto& [text, format] : k_formats)
    if (text == name) return format;
  return std::nullopt;
}

std::vector<std::string> rule_format_names() {
  std::vector<std::string> names;
  for (const auto& [text, format] : k_formats)
    names.emplace_back(text);
  return names;
}

std::vector<AbstractRule> compute_rules(const FirewallInputs& in) {
  std::vector<AbstractRule> rules;
  const auto local = in.source_ports ? in.source_ports : std::nullopt;
  const auto return_ports = in.source_ports.value_or(in.ephemeral_ports);
  auto add_pair = [&](const std::string& where, const std::string& remote, std::uint16_t port,
                      const std::string& why, bool with_inbound) {
    rules.push_back(
        {where, true, remote, port, where == "client" ? local : std::nullopt, false, why});
    if (with_inbound && in.inbound)
      rules.push_back({where, false, remote, port, return_ports, true,
                       "return traffic of the connections above, for filters without "
                       "connection tracking"});
  };
  switch (in.path) {
  case FirewallInputs::Path::direct:
    for (const auto& subnet : in.subnets)
      add_pair("client", subnet.to_string(), in.port, "the data-centre servers", true);
    break;
  case FirewallInputs::Path::socks:
  case FirewallInputs::Path::http:
    add_pair("client", in.proxy.host, in.proxy.port, in.proxy_description, true);
    for (const auto& subnet : in.subnets)
      add_pair("proxy", subnet.to_string(), in.port, "the data-centre servers", false);
    break;
  case FirewallInputs::Path::mapped:
    for (const auto& [server, port] : in.mapping)
      add_pair("client", in.firewall_host, port,
               fmt::format("the firewall port for {}", server.to_string()), true);
    break;
  }
  return rules;
}

nlohmann::json rules_document(const FirewallInputs& in) {
  auto rules = nlohmann::json::array();
  for (const auto& rule : compute_rules(in))
    rules.push_back(
        {{"where", rule.where},
         {"direction", rule.outbound ? "outbound" : "inbound"},
         {"protocol", "tcp"},
         {"remote", rule.remote},
         {"remote_port", rule.remote_port},
         {"local_ports", rule.local_ports ? nlohmann::json(rule.local_ports->to_string())
                                          : nlohmann::json(nullptr)},
         {"state", rule.established_only ? "established" : "new,established"},
         {"why", rule.why}});
  auto subnets = nlohmann::json::array();
  for (const auto& subnet : in.subnets)
    subnets.push_back(subnet.to_string());
  auto servers = [](const std::vector<transport::Endpoint>& list) {
    auto out = nlohmann::json::array();
    for (const auto& server : list)
      out.push_back(server.to_string());
    return out;
  };
  auto mapping = nlohmann::json::array();
  for (const auto& [server, port] : in.mapping)
    mapping.push_back({{"server", server.to_string()},
                       {"firewall", fmt::format("{}:{}", in.firewall_host, port)}});
  return {{"type", "firewall_rules"},
          {"generated_from", in.generated_from},
          {"transport", path_name(in.path)},
          {"port", in.port},
          {"subnets", subnets},
          {"registration", servers(in.registration)},
          {"storage", servers(in.storage)},
          {"rules", rules},
          {"mapping", mapping}};
}

std::string render_rules(const FirewallInputs& in, RuleFormat format) {
  const auto rules = compute_rules(in);
  switch (format) {
  case RuleFormat::text: return text_rules(in, rules);
  case RuleFormat::json: return rules_document(in).dump(2) + "\n";
  case RuleFormat::iptables: return iptables_rules(in, rules);
  case RuleFormat::nftables: return nftables_rules(in, rules);
  case RuleFormat::pf: return pf_rules(in, rules);
  case RuleFormat::ufw: return ufw_rules(in, rules);
  case RuleFormat::firewalld: return firewalld_rules(in, rules);
  case RuleFormat::windows: return windows_rules(in, rules);
  case RuleFormat::cisco: return cisco_rules(in, rules);
  }
  return {};
}

transport::SourcePortRange system_ephemeral_ports() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0, high = 0;
  if (in >> low >> high && low >= 1 && low <= high && high <= 65535)
    return {static_cast<std::uint16_t>(low), static_cast<std::uint16_t>(high)};
  return {32768, 60999};
}

} // namespace offsite::cli
