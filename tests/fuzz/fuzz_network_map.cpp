// Network maps as a server announces them (cli/config/client_config.cpp,
// apply_network_map). The input is JSON text: a map, or [map, storage pair].
// The contract says it never throws on bad shape and keeps the client within
// subnets: a refused or unchanged map leaves the config as it was, and an
// accepted one puts every server inside the new subnets.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "cli/config/client_config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace offsite::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  static const ClientConfig config = [] {
    ClientConfig c = built_in_config();
    c.storage = c.registration;
    c.network_map_version = 3;
    return c;
  }();
  const bool with_pair = doc.is_array() && doc.size() == 2;
  const MapUpdate update =
      apply_network_map(config, with_pair ? doc[0] : doc, with_pair ? doc[1] : nlohmann::json());
  if (update.outcome != MapUpdate::Outcome::accepted) {
    FUZZ_CHECK(update.config == config);
    return 0;
  }
  std::vector<offsite::transport::Endpoint> servers = update.config.registration.both();
  if (update.config.storage)
    for (const auto& server : update.config.storage->both())
      servers.push_back(server);
  FUZZ_CHECK(!outside_subnets(servers, update.config.subnets));
  return 0;
}
