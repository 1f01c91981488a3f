#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>

#include "cli/firewall/firewall_rules.hpp"

using namespace offsite;
using namespace offsite::cli;

TEST_SUITE_BEGIN("cli::firewall_rules");

namespace {

FirewallInputs direct_inputs() {
  FirewallInputs in;
  in.subnets = {*transport::Cidr::parse("193.239.112.0/24"),
                *transport::Cidr::parse("193.239.113.0/24")};
  in.registration = {{"193.239.112.10", 16384}, {"193.239.113.10", 16384}};
  in.generated_from = "config.json (network map version 1), transport direct";
  return in;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("given a direct path, when rules are computed, then each subnet gets one outbound TCP "
          "rule to 16384 and return traffic only with inbound") {
  auto in = direct_inputs();
  auto rules = compute_rules(in);
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].outbound);
  CHECK(rules[0].remote == "193.239.112.0/24");
  CHECK(rules[0].remote_port == 16384);
  CHECK_FALSE(rules[0].local_ports);

  in.inbound = true;
  in.source_ports = transport::SourcePortRange{1024, 5000};
  rules = compute_rules(in);
  REQUIRE(rules.size() == 4);
  CHECK(rules[0].local_ports == transport::SourcePortRange{1024, 5000});
  CHECK_FALSE(rules[1].outbound);
  CHECK(rules[1].established_only);
  CHECK(rules[1].local_ports == transport::SourcePortRange{1024, 5000});

  in.source_ports.reset();
  in.ephemeral_ports = {40000, 50000};
  rules = compute_rules(in);
  CHECK(rules[1].local_ports == transport::SourcePortRange{40000, 50000});
}

TEST_CASE("given every format, when rendered, then it names the subnets, the port and its "
          "origin, and never UDP or ICMP") {
  auto in = direct_inputs();
  in.inbound = true;
  in.source_ports = transport::SourcePortRange{1024, 5000};
  for (const auto& name : rule_format_names()) {
    CAPTURE(name);
    const auto format = parse_rule_format(name);
    REQUIRE(format);
    const std::string out = render_rules(in, *format);
    CHECK(has(out, "16384"));
    CHECK(has(out, "network map version 1"));
    if (name != "cisco") {
      CHECK(has(out, "193.239.112.0/24"));
      CHECK(has(out, "193.239.113.0/24"));
    } else {
      CHECK(has(out, "193.239.112.0 0.0.0.255 eq 16384"));
    }
    if (name != "firewalld") CHECK(has(out, "5000"));
    CHECK_FALSE(has(lower(out), "udp\""));
    CHECK_FALSE(has(lower(out), "icmp "));
    CHECK_FALSE(has(lower(out), "proto udp"));
  }
  CHECK_FALSE(parse_rule_format("iptable"));
}

TEST_CASE("given the iptables and nftables formats, when rendered, then the rules are exact") {
  auto in = direct_inputs();
  in.source_ports = transport::SourcePortRange{1024, 5000};
  const auto ipt = render_rules(in, RuleFormat::iptables);
  CHECK(has(ipt, "*filter\n-A OUTPUT -p tcp -d 193.239.112.0/24 --dport 16384 --sport 1024:5000 "
                 "-m conntrack --ctstate NEW,ESTABLISHED"));
  CHECK(has(ipt, "COMMIT\n"));
  const auto nft = render_rules(in, RuleFormat::nftables);
  CHECK(has(nft, "add rule inet filter output ip daddr 193.239.113.0/24 tcp dport 16384 tcp "
                 "sport 1024-5000 ct state new,established accept"));
}

TEST_CASE("given a SOCKS proxy, when rules are computed, then the client reaches the proxy and "
          "the proxy reaches the data centre") {
  auto in = direct_inputs();
  in.path = FirewallInputs::Path::socks;
  in.proxy = {"proxy.example.lan", 1080};
  in.proxy_description = "SOCKS5 proxy proxy.example.lan:1080";
  const auto rules = compute_rules(in);
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].where == "client");
  CHECK(rules[0].remote == "proxy.example.lan");
  CHECK(rules[0].remote_port == 1080);
  CHECK(rules[1].where == "proxy");
  CHECK(rules[1].remote == "193.239.112.0/24");
  const auto text = render_rules(in, RuleFormat::text);
  CHECK(has(text, "On the SOCKS5 proxy proxy.example.lan:1080"));
  const auto ipt = render_rules(in, RuleFormat::iptables);
  CHECK(has(ipt, "-A OUTPUT -p tcp -d proxy.example.lan --dport 1080"));
  CHECK(has(ipt, "#   -A OUTPUT -p tcp -d 193.239.112.0/24")); // the proxy's, as a comment
}

TEST_CASE("given a mapped firewall, when rendered, then the mapping table lists each server") {
  auto in = direct_inputs();
  in.path = FirewallInputs::Path::mapped;
  in.firewall_host = "fw.example.lan";
  in.mapping = {{{"193.239.112.10", 16384}, 20001}, {{"193.239.113.10", 16384}, 20002}};
  const auto text = render_rules(in, RuleFormat::text);
  CHECK(has(text, "fw.example.lan:20001  ->  193.239.112.10:16384"));
  CHECK(has(text, "fw.example.lan:20002  ->  193.239.113.10:16384"));
  const auto doc = rules_document(in);
  CHECK(doc["type"] == "firewall_rules");
  CHECK(doc["transport"] == "mapped");
  REQUIRE(doc["mapping"].size() == 2);
  CHECK(doc["mapping"][0]["firewall"] == "fw.example.lan:20001");
  REQUIRE(doc["rules"].size() == 2);
  CHECK(doc["rules"][1]["remote_port"] == 20002);
  CHECK(doc["rules"][1]["protocol"] == "tcp");
}

TEST_CASE("given the machine, when the ephemeral range is read, then it is a sane range") {
  const auto ports = system_ephemeral_ports();
  CHECK(ports.low >= 1);
  CHECK(ports.low <= ports.high);
}

TEST_SUITE_END();
