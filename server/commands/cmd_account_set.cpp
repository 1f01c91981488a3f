// account set: the operator's switches on one account (append-only, quota,
// storage pair). Sessions read the record when they log in, so a change
// applies to every new connection at once.
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/state/account_registry.hpp"
#include "server/store/open_store.hpp"

namespace offsite::server {

struct AccountSetOptions {
  std::string data;
  std::string id;
  std::string append_only; // "on", "off" or "" (unchanged)
  std::optional<std::uint64_t> quota;
  std::optional<std::uint64_t> quota_objects;
  std::vector<std::string> assign;
};

int run_account_set(const AccountSetOptions& options) {
  const std::filesystem::path data(options.data);
  require_data_dir(data);
  const auto store = open_data_store(data);
  AccountRegistry registry(*store);
  auto record = registry.find(options.id);
  if (!record)
    throw Error(Code::not_found, fmt::format("no account {}", options.id),
                fmt::format("list them with offsited accounts --data {}", data.string()));
  if (options.append_only.empty() && !options.quota && !options.quota_objects &&
      options.assign.empty())
    throw Error(Code::usage, "nothing to change",
                "give --append-only on|off, --quota BYTES, --quota-objects N or --assign "
                "PRIMARY,ALTERNATE");
  if (!options.append_only.empty()) record->append_only = options.append_only == "on";
  if (options.quota) record->quota_bytes = *options.quota;
  if (options.quota_objects) record->quota_objects = *options.quota_objects;
  if (!options.assign.empty()) {
    record->storage_pair.clear();
    for (const auto& text : options.assign)
      record->storage_pair.push_back(parse_server_address(text, "--assign").to_string());
  }
  registry.update(*record);
  std::cout << fmt::format("account {}: append-only {}, quota {} bytes, {} objects, storage {}\n",
                           record->id, record->append_only ? "on" : "off", record->quota_bytes,
                           record->quota_objects, fmt::join(record->storage_pair, ","))
            << std::flush;
  return 0;
}

void register_account(CLI::App& app, CommandRun& run) {
  auto* account = app.add_subcommand("account", "change one account (operator only)");
  account->require_subcommand(1);

  auto options = std::make_shared<AccountSetOptions>();
  auto* set = account->add_subcommand("set", "set an account's append-only mode, quota or pair");
  add_data_option(*set, options->data);
  set->add_option("ID", options->id, "the account ID")->required();
  set->add_option("--append-only", options->append_only,
                  "on: the account's clients can never delete or overwrite anything")
      ->check(CLI::IsMember({"on", "off"}));
  set->add_option("--quota", options->quota, "storage quota in bytes (0 = the server's default)");
  set->add_option("--quota-objects", options->quota_objects,
                  "most objects the account may hold (0 = the server's default)");
  set->add_option("--assign", options->assign, "PRIMARY:PORT,ALTERNATE:PORT for this account")
      ->delimiter(',')
      ->expected(2);
  set->callback([options, &run] { run = [options] { return run_account_set(*options); }; });
}

} // namespace offsite::server
