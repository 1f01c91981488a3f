#include "server/commands/data_dir.hpp"

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "server/state/identity_store.hpp"
#include "server/store/datacentre_record.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

namespace {

Error not_initialised(const std::string& message, const fs::path& data) {
  return Error(Code::config, message,
               fmt::format("run offsited init --data {} first", data.string()));
}

} // namespace

void add_data_option(CLI::App& command, std::string& data) {
  command.add_option("--data", data, "the data directory (identity and store)")->required();
}

transport::CaIdentity require_identity(const fs::path& data) {
  auto identity = load_identity(data);
  if (!identity)
    throw not_initialised(fmt::format("{} holds no data-centre identity", data.string()), data);
  return *identity;
}

std::string check_store_identity(const fs::path& data, const transport::CaIdentity& identity,
                                 core::Store& store, const std::string& store_name, bool record) {
  auto ours = transport::fingerprint(identity.cert_pem);
  const auto theirs =
      record ? std::optional(record_fingerprint(store, ours)) : recorded_fingerprint(store);
  if (theirs && *theirs != ours) throw identity_mismatch(ours, *theirs, store_name, data.string());
  return ours;
}

void require_data_dir(const fs::path& data) {
  if (!fs::is_directory(data))
    throw not_initialised(fmt::format("no data directory {}", data.string()), data);
}

transport::Endpoint parse_server_address(const std::string& text, std::string_view flag) {
  std::string error;
  auto endpoint = transport::parse_endpoint(
      text, &error, transport::EndpointSyntax{false, transport::k_service_port});
  if (!endpoint) throw Error(Code::usage, fmt::format("{} {}: {}", flag, text, error));
  return *endpoint;
}

} // namespace offsite::server
