// accounts: list every account with its usage, as a table or as JSON.
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/state/account_registry.hpp"
#include "server/store/open_store.hpp"

namespace offsite::server {

struct AccountsOptions {
  std::string data;
  bool json = false;
};

namespace {

std::string format_time(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

} // namespace

int run_accounts(const AccountsOptions& options) {
  const std::filesystem::path data(options.data);
  require_data_dir(data);
  const auto store = open_data_store(data);
  AccountRegistry registry(*store);
  auto out = nlohmann::json::array();
  for (const auto& record : registry.list()) {
    const auto usage = registry.usage(record.id);
    out.push_back({{"id", record.id},
                   {"created", format_time(record.created)},
                   {"append_only", record.append_only},
                   {"quota_bytes", record.quota_bytes},
                   {"quota_objects", record.quota_objects},
                   {"storage_pair", record.storage_pair},
                   {"usage_bytes", usage.bytes},
                   {"usage_objects", usage.objects}});
  }
  if (options.json) {
    std::cout << out.dump(2) << std::endl;
    return 0;
  }
  std::cout << fmt::format("{:<16}  {:<20}  {:<11}  {:>14}  {:>12}\n", "ID", "CREATED",
                           "APPEND-ONLY", "USAGE BYTES", "OBJECTS");
  for (const auto& a : out)
    std::cout << fmt::format(
        "{:<16}  {:<20}  {:<11}  {:>14}  {:>12}\n", a["id"].get<std::string>(),
        a["created"].get<std::string>(), a["append_only"].get<bool>() ? "yes" : "no",
        a["usage_bytes"].get<std::uint64_t>(), a["usage_objects"].get<std::uint64_t>());
  std::cout << std::flush;
  return 0;
}

void register_accounts(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<AccountsOptions>();
  auto* sub = app.add_subcommand("accounts", "list the accounts and their usage");
  add_data_option(*sub, options->data);
  sub->add_flag("--json", options->json, "JSON output");
  sub->callback([options, &run] { run = [options] { return run_accounts(*options); }; });
}

} // namespace offsite::server
