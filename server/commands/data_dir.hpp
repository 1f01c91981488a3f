#pragma once
// What several offsited commands share: the --data option, the checks that
// the data directory is there and that its identity is the data centre's,
// and the IP:PORT syntax of server addresses.

#include <filesystem>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "core/store/store.hpp"
#include "transport/net/endpoint.hpp"
#include "transport/tls/identity.hpp"

namespace offsite::server {

// Declares the required "--data DIR" of `command` into `data`.
void add_data_option(CLI::App& command, std::string& data);

// The identity in `data`; Error(config) telling to run "offsited init" when
// there is none.
transport::CaIdentity require_identity(const std::filesystem::path& data);

// Checks that `identity` (DIR's) is the one the data centre's `store`
// records (server/store/datacentre_record.hpp) and returns its fingerprint;
// Error(config) naming both fingerprints when it is not. With `record`, a
// store that records none records ours (init and serve); without, it is
// left as it is. `store_name` names the store in the message.
std::string check_store_identity(const std::filesystem::path& data,
                                 const transport::CaIdentity& identity, core::Store& store,
                                 const std::string& store_name, bool record);

// Error(config) telling to run "offsited init" when `data` is no directory.
void require_data_dir(const std::filesystem::path& data);

// "IP[:PORT]" (the port defaults to 16384); Error(usage) naming `flag`
// ("--listen") for anything else.
transport::Endpoint parse_server_address(const std::string& text, std::string_view flag);

} // namespace offsite::server
