#pragma once
// What several offsited commands share: the --data option, the checks that
// the data directory is there, and the IP:PORT syntax of server addresses.

#include <filesystem>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "transport/net/endpoint.hpp"
#include "transport/tls/identity.hpp"

namespace offsite::server {

// Declares the required "--data DIR" of `command` into `data`.
void add_data_option(CLI::App& command, std::string& data);

// The identity in `data`; Error(config) telling to run "offsited init" when
// there is none.
transport::CaIdentity require_identity(const std::filesystem::path& data);

// Error(config) telling to run "offsited init" when `data` is no directory.
void require_data_dir(const std::filesystem::path& data);

// "IP[:PORT]" (the port defaults to 16384); Error(usage) naming `flag`
// ("--listen") for anything else.
transport::Endpoint parse_server_address(const std::string& text, std::string_view flag);

} // namespace offsite::server
