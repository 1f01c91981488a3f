// serve: the registration and storage roles on the --listen addresses,
// until SIGTERM or SIGINT (server/serve/ does the serving), once the data
// directory's identity is known to be the one its store records.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/serve/serve.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store_config.hpp"

namespace offsite::server {

struct ServeCommandOptions {
  std::string data;
  std::vector<std::string> listen;
  std::vector<std::string> assign;
  std::vector<std::string> subnets;
  std::vector<std::string> registration_pair;
  std::string registration = "open";
  std::size_t max_connections = 64;
  std::size_t max_connections_per_address = 16;
  std::size_t max_registrations_per_hour = 20;
  std::uint64_t quota = 0;
  std::uint64_t quota_objects = k_default_quota_objects;
  // The settings flags given on the command line: they replace the data
  // centre's settings in the store; the others keep what the store holds.
  GivenSettings given = GivenSettings::none();
};

int run_serve(const ServeCommandOptions& command) {
  ServeOptions options;
  options.data_dir = command.data;
  for (const auto& text : command.listen)
    options.listen.push_back(parse_server_address(text, "--listen"));
  for (const auto& text : command.assign)
    options.server.storage_pair.push_back(parse_server_address(text, "--assign").to_string());
  for (const auto& text : command.registration_pair)
    options.server.registration_pair.push_back(
        parse_server_address(text, "--registration-pair").to_string());
  for (const auto& text : command.subnets) {
    std::string error;
    const auto cidr = transport::Cidr::parse(text, &error);
    if (!cidr) throw Error(Code::usage, fmt::format("--subnet {}: {}", text, error));
    options.server.subnets.push_back(cidr->to_string());
  }
  options.server.registration =
      command.registration == "invite" ? RegistrationMode::invite : RegistrationMode::open;
  options.server.default_quota = command.quota;
  options.server.default_quota_objects = command.quota_objects;
  options.server.given = command.given;
  options.max_connections = command.max_connections;
  options.max_connections_per_address = command.max_connections_per_address;
  options.server.registrations_per_hour = command.max_registrations_per_hour;
  // Before listening: every client pins the data centre's fingerprint, so a
  // front-end with another identity would only be refused, one by one.
  const std::filesystem::path data(command.data);
  const auto location = read_store_config(data);
  check_store_identity(data, require_identity(data), *open_store(location, data),
                       describe(location, data), true);
  return serve(std::move(options));
}

void register_serve(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<ServeCommandOptions>();
  auto* sub = app.add_subcommand("serve", "serve the registration and storage roles");
  add_data_option(*sub, options->data);
  sub->add_option("--listen", options->listen, "IP:PORT to listen on (repeatable)")->required();
  sub->add_option("--assign", options->assign, "PRIMARY:PORT,ALTERNATE:PORT handed to new accounts")
      ->delimiter(',')
      ->expected(0, 2);
  sub->add_option("--subnet", options->subnets, "CIDR announced in the network map (repeatable)");
  sub->add_option("--registration-pair", options->registration_pair,
                  "PRIMARY:PORT,ALTERNATE:PORT announced as the registration pair (default: the "
                  "two --listen addresses; none with one)")
      ->delimiter(',')
      ->expected(2);
  sub->add_option("--registration", options->registration, "open or invite")
      ->check(CLI::IsMember({"open", "invite"}));
  sub->add_option("--max-connections", options->max_connections, "concurrent connections")
      ->check(CLI::PositiveNumber);
  sub->add_option("--max-connections-per-address", options->max_connections_per_address,
                  "concurrent connections from one IPv4 address or IPv6 /64")
      ->check(CLI::PositiveNumber);
  sub->add_option("--max-registrations-per-hour", options->max_registrations_per_hour,
                  "accounts registered in open mode from one IPv4 address or IPv6 /64 within "
                  "an hour (0 = no limit)");
  sub->add_option("--quota", options->quota, "per-account quota in bytes (0 = none)");
  sub->add_option("--quota-objects", options->quota_objects,
                  "most objects per account (0 = none; default 1000000)");
  sub->callback([options, sub, &run] {
    auto& given = options->given;
    given.registration = sub->count("--registration") > 0;
    given.storage_pair = sub->count("--assign") > 0;
    given.registration_pair = sub->count("--registration-pair") > 0;
    given.subnets = sub->count("--subnet") > 0;
    given.default_quota = sub->count("--quota") > 0;
    given.default_quota_objects = sub->count("--quota-objects") > 0;
    run = [options] { return run_serve(*options); };
  });
}

} // namespace offsite::server
