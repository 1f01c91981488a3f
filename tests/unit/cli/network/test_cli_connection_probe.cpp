#include <doctest/doctest.h>

#include "cli/network/connection_probe.hpp"

using namespace offsite::cli;

namespace {

ServerProbe probe(std::string role, bool ok) {
  ServerProbe p;
  p.role = std::move(role);
  p.steps.push_back({"tcp connect", ok, 1.0, "", std::nullopt, ""});
  return p;
}

} // namespace

TEST_CASE("overall_result: every server, failover only, a pair missing, nothing") {
  const auto four = [](bool reg_primary, bool reg_alternate, bool sto_primary, bool sto_alternate) {
    return overall_result(
        {probe("registration primary", reg_primary), probe("registration alternate", reg_alternate),
         probe("storage primary", sto_primary), probe("storage alternate", sto_alternate)});
  };
  CHECK(four(true, true, true, true) == "ok");
  // Failover would hide these from every other command.
  CHECK(four(false, true, true, true) == "failover_only");
  CHECK(four(true, true, true, false) == "failover_only");
  CHECK(four(false, true, true, false) == "failover_only");
  CHECK(four(false, false, true, true) == "partial");
  CHECK(four(true, true, false, false) == "partial");
  CHECK(four(false, false, false, false) == "unreachable");
  // Not registered yet: only the registration pair is probed.
  CHECK(overall_result(
            {probe("registration primary", true), probe("registration alternate", true)}) == "ok");
  CHECK(overall_result({probe("registration primary", false),
                        probe("registration alternate", true)}) == "failover_only");
}
