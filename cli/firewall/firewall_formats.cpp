#include "cli/firewall/firewall_formats.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace offsite::cli {

namespace {

enum class Family { v4, v6, name };

Family family_of(const std::string& remote) {
  const auto slash = remote.find('/');
  const std::string ip = remote.substr(0, slash);
  if (const auto address = transport::IpAddress::parse(ip))
    return address->family == transport::IpAddress::Family::v4 ? Family::v4 : Family::v6;
  return Family::name;
}

// Comments are quoted in several dialects: keep them to safe characters.
std::string safe(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 200))
    out.push_back((c == '"' || c == '\'' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_'
                                                                                               : c);
  return out;
}

std::string header(const FirewallInputs& in, const char* comment, std::string_view what) {
  return fmt::format("{0} offsite: {1}\n{0} generated from {2}\n{0} TCP only: offsite never uses "
                     "UDP or ICMP.\n",
                     comment, what, safe(in.generated_from));
}

std::string range(const transport::SourcePortRange& ports, char separator) {
  return fmt::format("{}{}{}", ports.low, separator, ports.high);
}

// Cisco wildcard mask for an IPv4 prefix: "0.0.0.255" for /24.
std::string wildcard(unsigned prefix) {
  const std::uint32_t mask =
      prefix == 0 ? 0xffffffffu : (prefix >= 32 ? 0u : (1u << (32 - prefix)) - 1);
  return fmt::format("{}.{}.{}.{}", mask >> 24, (mask >> 16) & 0xff, (mask >> 8) & 0xff,
                     mask & 0xff);
}

std::string cisco_address(const std::string& remote) {
  const auto slash = remote.find('/');
  if (slash == std::string::npos) return "host " + remote;
  const unsigned prefix = static_cast<unsigned>(std::stoul(remote.substr(slash + 1)));
  if (family_of(remote) == Family::v6) return remote;
  return fmt::format("{} {}", remote.substr(0, slash), wildcard(prefix));
}

} // namespace

std::string iptables_rules(const FirewallInputs& in, const Rules& rules) {
  std::string v4, v6, proxy;
  for (const auto& rule : rules) {
    std::string line;
    const std::string comment = fmt::format("-m comment --comment \"offsite: {}\"", safe(rule.why));
    if (rule.outbound)
      line =
          fmt::format("-A OUTPUT -p tcp -d {} --dport {}{} -m conntrack --ctstate NEW,ESTABLISHED "
                      "{} -j ACCEPT",
                      rule.remote, rule.remote_port,
                      rule.local_ports ? " --sport " + range(*rule.local_ports, ':') : "", comment);
    else
      line =
          fmt::format("-A INPUT -p tcp -s {} --sport {}{} -m conntrack --ctstate ESTABLISHED {} "
                      "-j ACCEPT",
                      rule.remote, rule.remote_port,
                      rule.local_ports ? " --dport " + range(*rule.local_ports, ':') : "", comment);
    if (rule.where != "client")
      proxy += "#   " + line + "\n";
    else if (family_of(rule.remote) == Family::v6)
      v6 += "#   " + line + "\n";
    else
      v4 += line + "\n";
  }
  std::string out = header(in, "#", "rules for iptables-restore --noflush (IPv4, table filter)");
  out += "*filter\n" + v4 + "COMMIT\n";
  if (!v6.empty()) out += "# For ip6tables-restore --noflush, in its *filter table:\n" + v6;
  if (!proxy.empty())
    out += fmt::format("# On the {} (it connects to the data centre):\n{}",
                       safe(in.proxy_description), proxy);
  return out;
}

std::string nftables_rules(const FirewallInputs& in, const Rules& rules) {
  const bool inbound = std::any_of(rules.begin(), rules.end(), [](const AbstractRule& r) {
    return !r.outbound && r.where == "client";
  });
  std::string out = header(in, "#", "rules for nft -f FILE, added to table inet filter");
  out += "# (declaring the table and chains again leaves their policies as they are)\n";
  out += "table inet filter {\n  chain output { type filter hook output priority filter; }\n";
  if (inbound) out += "  chain input { type filter hook input priority filter; }\n";
  out += "}\n";
  std::string proxy;
  for (const auto& rule : rules) {
    const char* ip = family_of(rule.remote) == Family::v6 ? "ip6" : "ip";
    std::string line;
    if (rule.outbound)
      line = fmt::format("add rule inet filter output {} daddr {} tcp dport {}{} ct state "
                         "new,established accept comment \"offsite: {}\"",
                         ip, rule.remote, rule.remote_port,
                         rule.local_ports ? " tcp sport " + range(*rule.local_ports, '-') : "",
                         safe(rule.why));
    else
      line = fmt::format("add rule inet filter input {} saddr {} tcp sport {}{} ct state "
                         "established accept comment \"offsite: {}\"",
                         ip, rule.remote, rule.remote_port,
                         rule.local_ports ? " tcp dport " + range(*rule.local_ports, '-') : "",
                         safe(rule.why));
    if (rule.where == "client")
      out += line + "\n";
    else
      proxy += "#   " + line + "\n";
  }
  if (!proxy.empty())
    out += fmt::format("# On the {} (it connects to the data centre):\n{}",
                       safe(in.proxy_description), proxy);
  return out;
}

std::string pf_rules(const FirewallInputs& in, const Rules& rules) {
  std::string out = header(in, "#", "rules for pf.conf (keep state passes the return traffic)");
  for (const auto& rule : rules) {
    const std::string prefix = rule.where == "client" ? "" : "# on the proxy: ";
    if (rule.outbound)
      out += fmt::format("{}pass out quick proto tcp from any{} to {} port {} keep state\n", prefix,
                         rule.local_ports ? " port " + range(*rule.local_ports, ':') : "",
                         rule.remote, rule.remote_port);
    else
      out += fmt::format("{}pass in quick proto tcp from {} port {} to any{} flags A/A no state\n",
                         prefix, rule.remote, rule.remote_port,
                         rule.local_ports ? " port " + range(*rule.local_ports, ':') : "");
  }
  return out;
}

std::string ufw_rules(const FirewallInputs& in, const Rules& rules) {
  std::string out = header(in, "#", "ufw commands (ufw tracks connections: return traffic passes)");
  for (const auto& rule : rules) {
    std::string prefix = rule.where == "client" ? "" : "# on the proxy: ";
    if (family_of(rule.remote) == Family::name)
      prefix += fmt::format("# ufw needs an address: replace {} by its IP: ", rule.remote);
    if (rule.outbound)
      out +=
          fmt::format("{}ufw allow out proto tcp from any{} to {} port {} comment 'offsite: {}'\n",
                      prefix, rule.local_ports ? " port " + range(*rule.local_ports, ':') : "",
                      rule.remote, rule.remote_port, safe(rule.why));
    else
      out += fmt::format(
          "{}ufw allow in proto tcp from {} port {} to any{} comment 'offsite: {}'\n", prefix,
          rule.remote, rule.remote_port,
          rule.local_ports ? " port " + range(*rule.local_ports, ':') : "", safe(rule.why));
  }
  return out;
}

std::string firewalld_rules(const FirewallInputs& in, const Rules& rules) {
  std::string out = header(in, "#",
                           "firewall-cmd commands (a policy from this host to anywhere; "
                           "firewalld tracks connections: return traffic passes)");
  out += "firewall-cmd --permanent --new-policy offsite-out\n"
         "firewall-cmd --permanent --policy offsite-out --add-ingress-zone HOST\n"
         "firewall-cmd --permanent --policy offsite-out --add-egress-zone ANY\n";
  for (const auto& rule : rules) {
    if (!rule.outbound) continue; // stateful: nothing to add for return traffic
    const Family family = family_of(rule.remote);
    std::string prefix = rule.where == "client" ? "" : "# on the proxy: ";
    if (family == Family::name)
      prefix += fmt::format("# rich rules need an address: replace {} by its IP: ", rule.remote);
    out +=
        fmt::format("{}firewall-cmd --permanent --policy offsite-out --add-rich-rule='rule "
                    "family=\"{}\" destination address=\"{}\" port port=\"{}\" protocol=\"tcp\" "
                    "accept'\n",
                    prefix, family == Family::v6 ? "ipv6" : "ipv4", rule.remote, rule.remote_port);
  }
  if (in.source_ports)
    out += fmt::format("# firewalld cannot combine a destination port with a source-port range in "
                       "one rule; the client binds its local ports to {} itself.\n",
                       in.source_ports->to_string());
  out += "firewall-cmd --reload\n";
  return out;
}

std::string windows_rules(const FirewallInputs& in, const Rules& rules) {
  std::string out = header(in, "#",
                           "PowerShell, as Administrator (Windows Firewall tracks "
                           "connections: return traffic passes)");
  int n = 0;
  for (const auto& rule : rules) {
    std::string prefix = rule.where == "client" ? "" : "# on the proxy: ";
    if (family_of(rule.remote) == Family::name)
      prefix +=
          fmt::format("# -RemoteAddress needs an address: replace {} by its IP: ", rule.remote);
    out += fmt::format("{}New-NetFirewallRule -DisplayName \"offsite {}: {}\" -Direction {} "
                       "-Action Allow -Protocol TCP -RemoteAddress {} -RemotePort {}{}\n",
                       prefix, ++n, safe(rule.why), rule.outbound ? "Outbound" : "Inbound",
                       rule.remote, rule.remote_port,
                       rule.local_ports ? " -LocalPort " + range(*rule.local_ports, '-') : "");
  }
  return out;
}

std::string cisco_rules(const FirewallInputs& in, const Rules& rules) {
  std::string out = header(in, "!", "Cisco IOS extended access lists");
  std::string outbound_v4, inbound_v4, outbound_v6, inbound_v6, proxy;
  for (const auto& rule : rules) {
    const bool v6 = family_of(rule.remote) == Family::v6;
    const std::string ports = rule.local_ports ? fmt::format(" range {} {}", rule.local_ports->low,
                                                             rule.local_ports->high)
                                               : "";
    std::string line;
    if (rule.outbound)
      line = fmt::format(" permit tcp any{} {} eq {}\n", ports, cisco_address(rule.remote),
                         rule.remote_port);
    else
      line = fmt::format(" permit tcp {} eq {} any{} established\n", cisco_address(rule.remote),
                         rule.remote_port, ports);
    if (rule.where != "client")
      proxy += "!  " + line;
    else if (rule.outbound)
      (v6 ? outbound_v6 : outbound_v4) += line;
    else
      (v6 ? inbound_v6 : inbound_v4) += line;
  }
  auto list = [&](const char* kind, const char* name, const std::string& body) {
    if (!body.empty())
      out += fmt::format("{} access-list {}{}\n remark offsite: the data centre, TCP only\n{}",
                         kind, std::string_view(kind) == "ip" ? "extended " : "", name, body);
  };
  list("ip", "OFFSITE-OUT", outbound_v4);
  list("ip", "OFFSITE-IN", inbound_v4);
  list("ipv6", "OFFSITE6-OUT", outbound_v6);
  list("ipv6", "OFFSITE6-IN", inbound_v6);
  if (!proxy.empty())
    out += fmt::format("! On the {} (it connects to the data centre):\n{}",
                       safe(in.proxy_description), proxy);
  return out;
}

} // namespace offsite::cli
