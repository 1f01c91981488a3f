// init: create the data-centre identity once (a second run keeps it), record
// which store the data directory uses (--store; default DIR/store), and
// print the fingerprint.
//
// The identity rule (server/store/datacentre_record.hpp): the first init on
// a store records its fingerprint there; an init on a new data directory
// whose store already belongs to a data centre creates no identity but
// tells the operator to copy the data centre's, and an init with an identity
// checks it against the store's.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "server/commands/commands.hpp"
#include "server/commands/data_dir.hpp"
#include "server/state/identity_store.hpp"
#include "server/store/datacentre_record.hpp"
#include "server/store/open_store.hpp"
#include "server/store/s3_credentials.hpp"
#include "server/store/s3_store.hpp"
#include "server/store/store_config.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

struct InitOptions {
  std::string data;
  std::optional<std::string> store;
  S3Flags s3;
};

namespace {

// The location this init records: --store, or what DIR already uses.
// Refuses to move a data directory in use to another store: its accounts
// and repositories would silently stay behind.
StoreLocation chosen_store(const InitOptions& options, const fs::path& data) {
  auto wanted = parse_store_location(options.store, options.s3);
  auto recorded = read_store_config(data);
  if (!options.store) return recorded;
  // An identity alone binds no store: the operator copies one into a new
  // data directory before its first init.
  const bool in_use = fs::exists(data / "store") || fs::exists(store_config_path(data));
  if (in_use && !recorded.same_store(wanted))
    throw Error(Code::config,
                fmt::format("{} already uses the store {}; init does not move a data directory "
                            "to another store",
                            data.string(), describe(recorded, data)),
                fmt::format("give a new --data directory for {}, or leave out --store to keep "
                            "the store it has",
                            describe(wanted, data)));
  return wanted;
}

} // namespace

int run_init(const InitOptions& options) {
  const fs::path data(options.data);
  auto location = chosen_store(options, data);
  const auto store_name = describe(location, data);
  if (location.kind == StoreLocation::Kind::directory) fs::create_directories(location.directory);
  // The bucket is made here, once, by the operator's init: serve and the
  // other commands never create one (a typo there must fail, not fork a store).
  if (location.kind == StoreLocation::Kind::s3 &&
      create_bucket_if_missing(location.s3, load_s3_credentials(location.credentials_file)))
    std::cerr << "offsited: created the bucket \"" << location.s3.bucket << "\" in " << store_name
              << "\n";
  const auto store = open_store(location, data);

  auto identity = load_identity(data);
  bool created = false;
  if (!identity) {
    if (const auto theirs = recorded_fingerprint(*store)) {
      fs::create_directories(data); // where the operator copies the identity to
      throw Error(
          Code::config,
          fmt::format("the store {} already belongs to the data centre {}, and {} holds no "
                      "identity: a front-end of it must serve with the data centre's",
                      store_name, *theirs, data.string()),
          fmt::format("copy it from an existing front-end, scp -rp FRONT-END:DIR/identity {}/ "
                      "(FRONT-END: a machine that serves {}, DIR: its data directory), then "
                      "run this init again",
                      data.string(), *theirs));
    }
    const auto result = init_identity(data);
    identity = result.identity;
    created = result.created;
  }
  const auto fingerprint = check_store_identity(data, *identity, *store, store_name, true);
  if (location.kind != StoreLocation::Kind::data_dir) write_store_config(data, location);
  if (created)
    std::cerr << "offsited: created the data-centre identity in " << (data / "identity").string()
              << "\n";
  if (options.store || location.kind != StoreLocation::Kind::data_dir)
    std::cerr << "offsited: " << data.string() << " uses the store " << store_name << "\n";
  std::cout << fingerprint << std::endl;
  return 0;
}

void register_init(CLI::App& app, CommandRun& run) {
  auto options = std::make_shared<InitOptions>();
  auto* sub = app.add_subcommand(
      "init", "create the data-centre identity (once) and record the store it uses");
  add_data_option(*sub, options->data);
  sub->add_option("--store", options->store,
                  "s3://BUCKET[/PREFIX] or file:///PATH (default: DIR/store)");
  sub->add_option("--s3-endpoint", options->s3.endpoint,
                  "the S3 gateway, http[s]://HOST[:PORT] (with an s3:// store)");
  sub->add_option("--s3-region", options->s3.region, "the SigV4 region (default us-east-1)");
  sub->add_option("--s3-credentials-file", options->s3.credentials_file,
                  "AWS shared-credentials file, mode 0600 (default: AWS_ACCESS_KEY_ID and "
                  "AWS_SECRET_ACCESS_KEY from the environment)");
  sub->callback([options, &run] { run = [options] { return run_init(*options); }; });
}

} // namespace offsite::server
