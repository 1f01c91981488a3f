#pragma once
// The registered account: its configuration and credentials from the config
// directory, turned into a RemoteStore on the account's storage pair. Server
// notices (failover) reach the user as warnings, and a network map the
// servers announce is checked and saved (see apply_network_map).
#include <filesystem>
#include <memory>

#include "cli/config/client_config.hpp"
#include "cli/global_options.hpp"
#include "cli/network/transport_settings.hpp"
#include "cli/remote/remote_store.hpp"
#include "cli/ui/terminal.hpp"

namespace offsite::cli {

struct Account {
  std::filesystem::path dir; // the config directory
  ClientConfig config;
  Credentials credentials;
  TransportSettings transport; // flags > environment > config.json, password resolved
};

// The registered account, or Error(config) saying how to register. Resolves
// the transport settings too (this may ask for the proxy password).
Account load_account(const GlobalOptions& options);

// LinkOptions for `servers` under `config` (subnets, pinned identity) and
// `transport` (the connector stack).
LinkOptions link_options(const ClientConfig& config, const TransportSettings& transport,
                         std::vector<transport::Endpoint> servers);

// A store on the account's storage pair; not yet connected.
std::unique_ptr<RemoteStore> open_account_store(const Account& account, Terminal& terminal);

} // namespace offsite::cli
