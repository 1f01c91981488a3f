#include "server/commands/commands.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/store/local_store.hpp"
#include "server/serve/serve.hpp"
#include "server/state/account_registry.hpp"
#include "server/state/identity_store.hpp"
#include "transport/net/endpoint.hpp"
#include "transport/tls/identity.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

namespace {

constexpr std::uint16_t k_default_port = 16384;

transport::CaIdentity require_identity(const fs::path& data) {
  auto identity = load_identity(data);
  if (!identity)
    throw Error(Code::config, fmt::format("{} holds no data-centre identity", data.string()),
                fmt::format("run offsited init --data {} first", data.string()));
  return *identity;
}

void require_data_dir(const fs::path& data) {
  if (!fs::is_directory(data))
    throw Error(Code::config, fmt::format("no data directory {}", data.string()),
                fmt::format("run offsited init --data {} first", data.string()));
}

transport::Endpoint parse_listen(const std::string& text) {
  std::string error;
  auto endpoint =
      transport::parse_endpoint(text, &error, transport::EndpointSyntax{false, k_default_port});
  if (!endpoint) throw Error(Code::usage, fmt::format("--listen {}: {}", text, error));
  return *endpoint;
}

std::string format_time(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

int cmd_init(const fs::path& data) {
  const auto result = init_identity(data);
  fs::create_directories(data / "store");
  if (result.created)
    std::cerr << "offsited: created the data-centre identity in " << (data / "identity").string()
              << "\n";
  std::cout << transport::fingerprint(result.identity.cert_pem) << std::endl;
  return 0;
}

int cmd_fingerprint(const fs::path& data) {
  std::cout << transport::fingerprint(require_identity(data).cert_pem) << std::endl;
  return 0;
}

int cmd_invite(const fs::path& data) {
  require_identity(data);
  core::LocalStore store(data / "store");
  std::cout << AccountRegistry(store).create_invite() << std::endl;
  return 0;
}

int cmd_accounts(const fs::path& data, bool json) {
  require_data_dir(data);
  core::LocalStore store(data / "store");
  AccountRegistry registry(store);
  auto out = nlohmann::json::array();
  for (const auto& record : registry.list())
    out.push_back({{"id", record.id},
                   {"created", format_time(record.created)},
                   {"append_only", record.append_only},
                   {"quota_bytes", record.quota_bytes},
                   {"storage_pair", record.storage_pair},
                   {"usage_bytes", registry.usage(record.id)}});
  if (json) {
    std::cout << out.dump(2) << std::endl;
    return 0;
  }
  std::cout << fmt::format("{:<16}  {:<20}  {:<11}  {:>14}\n", "ID", "CREATED", "APPEND-ONLY",
                           "USAGE BYTES");
  for (const auto& a : out)
    std::cout << fmt::format("{:<16}  {:<20}  {:<11}  {:>14}\n", a["id"].get<std::string>(),
                             a["created"].get<std::string>(),
                             a["append_only"].get<bool>() ? "yes" : "no",
                             a["usage_bytes"].get<std::uint64_t>());
  std::cout << std::flush;
  return 0;
}

struct AccountChanges {
  std::string id;
  std::string append_only; // "on", "off" or "" (unchanged)
  std::optional<std::uint64_t> quota;
  std::vector<std::string> assign;
};

// The operator's switches on one account. Sessions read the record when
// they log in, so a change applies to every new connection at once.
int cmd_account_set(const fs::path& data, const AccountChanges& changes) {
  require_data_dir(data);
  core::LocalStore store(data / "store");
  AccountRegistry registry(store);
  auto record = registry.find(changes.id);
  if (!record)
    throw Error(Code::not_found, fmt::format("no account {}", changes.id),
                fmt::format("list them with offsited accounts --data {}", data.string()));
  if (changes.append_only.empty() && !changes.quota && changes.assign.empty())
    throw Error(Code::usage, "nothing to change",
                "give --append-only on|off, --quota BYTES or --assign PRIMARY,ALTERNATE");
  if (!changes.append_only.empty()) record->append_only = changes.append_only == "on";
  if (changes.quota) record->quota_bytes = *changes.quota;
  if (!changes.assign.empty()) {
    record->storage_pair.clear();
    for (const auto& text : changes.assign)
      record->storage_pair.push_back(parse_listen(text).to_string());
  }
  registry.update(*record);
  std::cout << fmt::format("account {}: append-only {}, quota {} bytes, storage {}\n", record->id,
                           record->append_only ? "on" : "off", record->quota_bytes,
                           fmt::join(record->storage_pair, ","))
            << std::flush;
  return 0;
}

} // namespace

int run(int argc, char** argv) {
  CLI::App app{"offsited: the offsite data-centre server", "offsited"};
  app.set_version_flag("--version", fmt::format("offsited {}", OFFSITE_VERSION));
  app.require_subcommand(1);

  std::string data;
  auto add_data = [&](CLI::App* sub) {
    sub->add_option("--data", data, "the data directory (identity and store)")->required();
  };

  auto* init = app.add_subcommand("init", "create the data-centre identity (once)");
  add_data(init);
  auto* fingerprint = app.add_subcommand("fingerprint", "print the identity's fingerprint");
  add_data(fingerprint);
  auto* invite = app.add_subcommand("invite", "print a one-time registration code");
  add_data(invite);
  bool json = false;
  auto* accounts = app.add_subcommand("accounts", "list the accounts and their usage");
  add_data(accounts);
  accounts->add_flag("--json", json, "JSON output");

  auto* account = app.add_subcommand("account", "change one account (operator only)");
  account->require_subcommand(1);
  auto* account_set =
      account->add_subcommand("set", "set an account's append-only mode, quota or pair");
  add_data(account_set);
  AccountChanges changes;
  account_set->add_option("ID", changes.id, "the account ID")->required();
  account_set
      ->add_option("--append-only", changes.append_only,
                   "on: the account's clients can never delete or overwrite anything")
      ->check(CLI::IsMember({"on", "off"}));
  account_set->add_option("--quota", changes.quota, "storage quota in bytes (0 = none)");
  account_set
      ->add_option("--assign", changes.assign, "PRIMARY:PORT,ALTERNATE:PORT for this account")
      ->delimiter(',')
      ->expected(2);

  auto* serve_cmd = app.add_subcommand("serve", "serve the registration and storage roles");
  add_data(serve_cmd);
  std::vector<std::string> listen;
  std::vector<std::string> assign;
  std::vector<std::string> subnets;
  std::vector<std::string> registration_pair;
  std::string registration = "open";
  std::size_t max_connections = 64;
  std::uint64_t quota = 0;
  serve_cmd->add_option("--listen", listen, "IP:PORT to listen on (repeatable)")->required();
  serve_cmd->add_option("--assign", assign, "PRIMARY:PORT,ALTERNATE:PORT handed to new accounts")
      ->delimiter(',')
      ->expected(0, 2);
  serve_cmd->add_option("--subnet", subnets, "CIDR announced in the network map (repeatable)");
  serve_cmd
      ->add_option("--registration-pair", registration_pair,
                   "PRIMARY:PORT,ALTERNATE:PORT announced as the registration pair (default: the "
                   "two --listen addresses; none with one)")
      ->delimiter(',')
      ->expected(2);
  serve_cmd->add_option("--registration", registration, "open or invite")
      ->check(CLI::IsMember({"open", "invite"}));
  serve_cmd->add_option("--max-connections", max_connections, "concurrent connections")
      ->check(CLI::PositiveNumber);
  serve_cmd->add_option("--quota", quota, "per-account quota in bytes (0 = none)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    const fs::path dir(data);
    if (*init) return cmd_init(dir);
    if (*fingerprint) return cmd_fingerprint(dir);
    if (*invite) return cmd_invite(dir);
    if (*accounts) return cmd_accounts(dir, json);
    if (*account_set) return cmd_account_set(dir, changes);

    ServeOptions options;
    options.data_dir = dir;
    for (const auto& text : listen)
      options.listen.push_back(parse_listen(text));
    for (const auto& text : assign) {
      parse_listen(text); // validates
      options.server.storage_pair.push_back(parse_listen(text).to_string());
    }
    for (const auto& text : registration_pair)
      options.server.registration_pair.push_back(parse_listen(text).to_string());
    for (const auto& text : subnets) {
      std::string error;
      const auto cidr = transport::Cidr::parse(text, &error);
      if (!cidr) throw Error(Code::usage, fmt::format("--subnet {}: {}", text, error));
      options.server.subnets.push_back(cidr->to_string());
    }
    options.server.registration =
        registration == "invite" ? RegistrationMode::invite : RegistrationMode::open;
    options.server.default_quota = quota;
    options.max_connections = max_connections;
    return serve(std::move(options));
  } catch (const Error& e) {
    std::cerr << "offsited: error: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    return e.code() == Code::usage ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "offsited: error: " << e.what() << "\n";
    return 1;
  }
}

} // namespace offsite::server
