#include "cli/access/account_access.hpp"

#include <mutex>

#include <fmt/format.h>

#include "cli/config/paths.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

// Notices arrive on whichever thread noticed the failure.
std::mutex g_terminal_mutex;

} // namespace

Account load_account(const GlobalOptions& options) {
  Account account;
  account.dir = config_dir(options);
  auto config = load_config(account.dir);
  if (!config || !config->account_id || !config->storage)
    throw Error(Code::config,
                fmt::format("this machine is not registered with a data centre (no account in {})",
                            config_file(account.dir).string()),
                "run \"offsite register\" (or \"offsite register --existing ACCOUNT_ID\" to attach "
                "to your account), or pass --repo DIR for a local repository");
  account.config = std::move(*config);
  apply_environment(account.config);
  auto credentials = load_credentials(account.dir);
  if (!credentials)
    throw Error(Code::config,
                fmt::format("the account's credentials are missing ({})",
                            credentials_file(account.dir).string()),
                fmt::format("restore that file from your records, or run \"offsite register "
                            "--existing {} --secret-file FILE\"",
                            *account.config.account_id));
  if (credentials->account_id != *account.config.account_id)
    throw Error(Code::config,
                fmt::format("{} belongs to account {}, but the configuration names account {}",
                            credentials_file(account.dir).string(), credentials->account_id,
                            *account.config.account_id),
                "put the matching credentials file in place, or register again");
  account.credentials = std::move(*credentials);
  account.transport = transport_settings(options.transport, account.config.transport);
  return account;
}

LinkOptions link_options(const ClientConfig& config, const TransportSettings& transport,
                         std::vector<transport::Endpoint> servers) {
  LinkOptions options;
  options.servers = std::move(servers);
  options.subnets = config.subnets;
  options.connector = make_connector(config.fingerprint, transport);
  return options;
}

std::unique_ptr<RemoteStore> open_account_store(const Account& account, Terminal& terminal) {
  RemoteStoreOptions options;
  options.link = link_options(account.config, account.transport, account.config.storage->both());
  options.account_id = account.credentials.account_id;
  options.secret = account.credentials.secret;
  options.notice = [&terminal](const std::string& text) {
    std::lock_guard lock(g_terminal_mutex);
    terminal.warning(text);
  };
  // The servers may announce a new map; it applies from the next command on
  // (this one keeps the connection it has).
  options.on_login = [&terminal, dir = account.dir,
                      config = account.config](const transport::wire::HelloReply& hello,
                                               const transport::wire::AuthReply& auth) mutable {
    const auto update = apply_network_map(config, hello.network_map, auth.storage_pair);
    std::lock_guard lock(g_terminal_mutex);
    if (update.outcome == MapUpdate::Outcome::refused) {
      terminal.warning(
          fmt::format("ignored the network map the server announced: {}", update.reason));
    } else if (update.outcome == MapUpdate::Outcome::accepted && !(update.config == config)) {
      // Re-read so that settings changed meanwhile by another command stay.
      auto saved = load_config(dir).value_or(update.config);
      saved.subnets = update.config.subnets;
      saved.registration = update.config.registration;
      saved.storage = update.config.storage;
      saved.network_map_version = update.config.network_map_version;
      save_config(dir, saved);
      config = update.config;
      terminal.info(fmt::format("saved the network map announced by the data centre to {}",
                                config_file(dir).string()));
    }
  };
  return std::make_unique<RemoteStore>(std::move(options));
}

} // namespace offsite::cli
