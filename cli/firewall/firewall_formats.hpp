#pragma once
// The firewall dialects of firewall_rules.hpp, one function each. Every
// function spells the same abstract rules; rules for the proxy host are
// printed as comments where the format describes only this machine.
#include <string>
#include <vector>

#include "cli/firewall/firewall_rules.hpp"

namespace offsite::cli {

using Rules = std::vector<AbstractRule>;

std::string iptables_rules(const FirewallInputs& in, const Rules& rules);
std::string nftables_rules(const FirewallInputs& in, const Rules& rules);
std::string pf_rules(const FirewallInputs& in, const Rules& rules);
std::string ufw_rules(const FirewallInputs& in, const Rules& rules);
std::string firewalld_rules(const FirewallInputs& in, const Rules& rules);
std::string windows_rules(const FirewallInputs& in, const Rules& rules);
std::string cisco_rules(const FirewallInputs& in, const Rules& rules);

} // namespace offsite::cli
