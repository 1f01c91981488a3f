// `offsite register`: first use of the data centre. A new account is
// created on the registration pair; the master key is made here, wrapped
// with the passphrase and uploaded to the account's storage pair, so that a
// new machine needs only the account ID, the account secret and the
// passphrase (`register --existing`).
//
// Order matters for never losing an account: the passphrase is read before
// anything is created, and a new account's credentials are saved the moment
// the server hands them out, before the key upload that may still fail.
// `--existing` saves nothing until the passphrase has opened the account's
// key (or, on an account without a repository, until the repository exists:
// that finishes an interrupted registration), so a mistyped passphrase leaves
// the machine as it was and the retry just works.
#include <fstream>

#include <fmt/format.h>

#include "cli/access/account_access.hpp"
#include "cli/commands.hpp"
#include "cli/config/passphrase.hpp"
#include "cli/config/paths.hpp"
#include "cli/remote/wire_reply.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/repo/repository.hpp"

namespace offsite::cli {

namespace {

struct RegisterOptions {
  std::string registration;
  std::vector<std::string> subnets;
  std::string fingerprint;
  std::string code;
  std::string existing;
  std::string secret_file;
};

// Flags over environment over built-in defaults.
ClientConfig config_from_flags(const RegisterOptions& flags) {
  ClientConfig config = default_config();
  if (!flags.registration.empty()) {
    std::string error;
    auto pair = parse_pair(flags.registration, &error);
    if (!pair) throw Error(Code::usage, fmt::format("--registration: {}", error));
    config.registration = *pair;
  }
  if (!flags.subnets.empty()) {
    config.subnets.clear();
    for (const auto& text : flags.subnets) {
      std::string error;
      auto subnet = transport::Cidr::parse(text, &error);
      if (!subnet) throw Error(Code::usage, fmt::format("--subnet: {}", error));
      config.subnets.push_back(*subnet);
    }
  }
  if (!flags.fingerprint.empty()) {
    auto normal = normalize_fingerprint(flags.fingerprint);
    if (!normal)
      throw Error(Code::usage,
                  fmt::format("--fingerprint: \"{}\" is not a SHA-256 fingerprint",
                              printable(flags.fingerprint)),
                  "write it as sha256: followed by 64 hex digits, as \"offsited fingerprint\" "
                  "prints it");
    config.fingerprint = *normal;
  }
  if (config.fingerprint.empty())
    throw Error(Code::usage, "the data centre's fingerprint is needed to register",
                "pass --fingerprint sha256:<hex> (the operator prints it with \"offsited "
                "fingerprint\")");
  if (auto outside = outside_subnets(config.registration.both(), config.subnets))
    throw Error(Code::config, fmt::format("the registration pair: {}", *outside),
                "pass --subnet for the data centre's subnets, or fix --registration");
  return config;
}

// Attaching again to the account this machine already uses is allowed (it
// proves the passphrase and saves the same files); anything else would
// overwrite another account's credentials. The hint never suggests
// `unregister`: that deletes the account and every backup in it.
void refuse_if_registered(const std::filesystem::path& dir, const std::string& attaching_to) {
  const auto existing = load_config(dir);
  if (existing && existing->account_id && *existing->account_id != attaching_to)
    throw Error(Code::config,
                fmt::format("this configuration already belongs to account {} ({})",
                            *existing->account_id, config_file(dir).string()),
                fmt::format("this machine is set up already; for another account pass another "
                            "--config-dir (to leave account {} on this machine only, move {} "
                            "aside; \"offsite unregister\" would delete the account and all its "
                            "backups)",
                            *existing->account_id, dir.string()));
}

std::string read_account_secret(const RegisterOptions& flags) {
  if (flags.secret_file.empty()) return prompt_secret("Account secret: ");
  std::ifstream in(flags.secret_file, std::ios::binary);
  if (!in)
    throw Error(Code::usage, fmt::format("cannot read the secret file {}", flags.secret_file),
                "check the path and its permissions");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of credentials.json works as well as a file holding the secret.
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_object() && json.contains("secret") && json["secret"].is_string()) {
    if (json.contains("account_id") && json["account_id"] != flags.existing)
      throw Error(Code::usage,
                  fmt::format("{} holds the credentials of another account", flags.secret_file),
                  "pass the credentials file of the account named by --existing");
    return json["secret"].get<std::string>();
  }
  return read_secret_file(flags.secret_file, "secret");
}

struct NewAccount {
  Credentials credentials;
  ServerPair storage;
};

NewAccount create_account(ClientConfig& config, const TransportSettings& transport,
                          const RegisterOptions& flags, Terminal& terminal) {
  std::vector<Attempt> attempts;
  auto link = open_link(link_options(config, transport, config.registration.both()), 0, attempts);
  if (!link) throw_unreachable("the registration servers", attempts);
  if (!attempts.empty())
    terminal.warning(fmt::format("the registration primary failed ({}); used the alternate",
                                 transport::failure_kind_name(attempts.back().failure.kind)));
  transport::wire::RegisterRequest request;
  if (!flags.code.empty()) request.code = flags.code;
  const auto created =
      decode_reply<transport::wire::RegisterReply>(call(*link->pipeline, request), "register");
  const auto update = apply_network_map(config, created.network_map, created.storage_pair);
  if (update.outcome == MapUpdate::Outcome::refused || !update.config.storage)
    throw Error(Code::config,
                fmt::format("the data centre assigned storage servers this client refuses: {}",
                            update.reason.empty() ? "no storage pair" : update.reason),
                "check --subnet; the data centre's operator can tell you its subnets");
  config = update.config;
  return {{created.account_id, created.secret}, *config.storage};
}

// Where an --existing account stores its data: its own login tells.
ServerPair find_storage(ClientConfig& config, const TransportSettings& transport,
                        const Credentials& credentials) {
  RemoteStoreOptions options;
  options.link = link_options(config, transport, config.registration.both());
  options.account_id = credentials.account_id;
  options.secret = credentials.secret;
  options.on_login = [&](const transport::wire::HelloReply& hello,
                         const transport::wire::AuthReply& auth) {
    const auto update = apply_network_map(config, hello.network_map, auth.storage_pair);
    if (update.outcome == MapUpdate::Outcome::refused || !update.config.storage)
      throw Error(Code::config,
                  fmt::format("the account's storage servers are refused: {}",
                              update.reason.empty() ? "none named" : update.reason),
                  "check --subnet");
    config = update.config;
  };
  RemoteStore(std::move(options)).connect();
  return *config.storage;
}

int run_register(const GlobalOptions& global, const RegisterOptions& flags, Terminal& terminal) {
  if (!global.repo.empty())
    throw Error(Code::usage, "register works with the data centre, not with --repo",
                "drop --repo, or use \"offsite init\" for a local repository");
  const auto dir = config_dir(global);
  refuse_if_registered(dir, flags.existing);
  ClientConfig config = config_from_flags(flags);
  // Transport settings saved before registering ("offsite config set proxy
  // ...") are kept, and used to reach the registration pair.
  if (const auto existing = load_config(dir)) config.transport = existing->transport;

  Account account{dir, config, {}, transport_settings(global.transport, config.transport)};
  std::string passphrase;
  if (flags.existing.empty()) {
    passphrase = read_passphrase(global, "New passphrase: ", true);
    if (passphrase.empty())
      throw Error(Code::usage, "the passphrase is empty", "choose a passphrase of some length");
    auto created = create_account(account.config, account.transport, flags, terminal);
    account.credentials = created.credentials;
  } else {
    account.credentials = {flags.existing, read_account_secret(flags)};
    find_storage(account.config, account.transport, account.credentials);
  }
  account.config.account_id = account.credentials.account_id;
  const auto save_account = [&] {
    save_credentials(dir, account.credentials);
    save_config(dir, account.config);
  };
  if (flags.existing.empty()) save_account();

  auto store = open_account_store(account, terminal);
  store->connect();
  bool created_repository = false;
  if (!store->head("config")) {
    if (passphrase.empty()) passphrase = read_passphrase(global, "New passphrase: ", true);
    if (passphrase.empty())
      throw Error(Code::usage, "the passphrase is empty", "choose a passphrase of some length");
    core::Repository::init(*store, core::MasterKey::generate(), passphrase);
    created_repository = true;
  } else {
    if (passphrase.empty()) passphrase = read_passphrase(global, "Passphrase: ");
    core::Repository::unlock(*store, passphrase); // proves the passphrase before saving
  }
  if (!flags.existing.empty()) save_account();

  const std::string id = account.credentials.account_id;
  if (terminal.json()) {
    terminal.emit({{"type", "register"},
                   {"account_id", id},
                   {"attached", !flags.existing.empty()},
                   {"repository_created", created_repository},
                   {"storage",
                    {account.config.storage->primary.to_string(),
                     account.config.storage->alternate.to_string()}},
                   {"config_file", config_file(dir).string()},
                   {"credentials_file", credentials_file(dir).string()}});
    return 0;
  }
  terminal.out(fmt::format("{} account {} (storage servers {})",
                           flags.existing.empty() ? "registered" : "attached to", id,
                           account.config.storage->to_string()));
  terminal.out(fmt::format(
      "Keep these safe, away from this machine: without them the backups cannot be restored.\n"
      "  account ID:      {}\n"
      "  account secret:  in {}\n"
      "  passphrase:      the one you gave (typed or from its file)\n"
      "On a new machine: offsite register --existing {} --secret-file COPY_OF_CREDENTIALS",
      id, credentials_file(dir).string(), id));
  return 0;
}

} // namespace

void register_register(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "register", "Create an account at the data centre (or attach to one with --existing)");
  auto flags = std::make_shared<RegisterOptions>();
  sub->add_option("--registration", flags->registration,
                  "the registration pair, primary first (default 193.239.112.10,193.239.113.10)")
      ->type_name("IP:PORT,IP:PORT");
  sub->add_option("--subnet", flags->subnets,
                  "a data-centre subnet; repeat for each (default 193.239.112.0/24 and "
                  "193.239.113.0/24)")
      ->type_name("CIDR");
  sub->add_option("--fingerprint", flags->fingerprint,
                  "the data centre's identity, as \"offsited fingerprint\" prints it")
      ->type_name("sha256:HEX");
  sub->add_option("--code", flags->code, "an invitation code from the operator")->type_name("CODE");
  sub->add_option("--existing", flags->existing,
                  "attach this machine to an existing account instead of creating one")
      ->type_name("ACCOUNT_ID");
  sub->add_option("--secret-file", flags->secret_file,
                  "the account secret for --existing: a file holding it, or a copy of "
                  "credentials.json (default: ask)")
      ->type_name("FILE");
  sub->footer("Examples:\n"
              "  offsite register --fingerprint sha256:3f2a...\n"
              "  offsite register --existing 4f1c2a9e0b7d6e5f --secret-file credentials.json");
  sub->callback([&global, flags] {
    if (!flags->secret_file.empty() && flags->existing.empty())
      throw CLI::ValidationError("--secret-file", "needs --existing ACCOUNT_ID");
    global.run = [&global, flags](Terminal& t) { return run_register(global, *flags, t); };
  });
}

} // namespace offsite::cli
