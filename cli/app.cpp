#include "cli/app.hpp"
#include "cli/text.hpp"

#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/global_options.hpp"
#include "cli/interrupt.hpp"
#include "cli/terminal.hpp"
#include "cli/transport_settings.hpp"
#include "core/error.hpp"

namespace offsite::cli {

namespace {

void register_global_options(CLI::App& app, GlobalOptions& g) {
  app.add_option("--config-dir", g.config_dir, "Configuration and credentials directory")
      ->type_name("DIR");
  app.add_option("--cache-dir", g.cache_dir, "Cache directory (files cache)")->type_name("DIR");
  app.add_option("-r,--repo", g.repo, "Use a local repository directory instead of the account")
      ->envname("OFFSITE_REPOSITORY")
      ->type_name("DIR");
  app.add_option("--password-file", g.password_file, "Read the passphrase from a file")
      ->type_name("FILE");
  app.add_option("--password-command", g.password_command,
                 "Run a command that prints the passphrase")
      ->type_name("CMD");
  app.add_flag("--json", g.json, "Print JSON on stdout (JSON Lines for long commands)");
  app.add_flag("-q,--quiet", g.quiet, "Print only errors");
  app.add_flag("-v,--verbose", g.verbose, "Print more detail (repeat for more)");
  app.add_flag("--no-progress", g.no_progress, "Do not draw a progress line");
  app.add_option("--retry-lock", g.retry_lock,
                 "Wait up to DURATION (30s, 10m, 1h) for another client's lock to go")
      ->type_name("DURATION");
  // How to reach the data centre (cli/transport_settings.hpp weighs these
  // against the environment and config.json).
  app.add_option("--proxy", g.transport.proxy,
                 "Proxy: socks5://[USER@]HOST[:PORT], socks4://, socks4a://, http://, "
                 "mapped://HOST (with --map), or direct")
      ->type_name("URL");
  app.add_option("--map", g.transport.map,
                 "For mapped://: the firewall port of a data-centre server (repeatable)")
      ->type_name("SERVER_IP=PORT");
  app.add_option("--source-ports", g.transport.source_ports,
                 "Bind the local end of connections into this port range")
      ->type_name("LOW-HIGH");
  app.add_flag("--no-proxy", g.transport.no_proxy,
               "Ignore ALL_PROXY, HTTPS_PROXY and NO_PROXY from the environment");
  app.add_option("--proxy-password-file", g.transport.proxy_password_file,
                 "Read the proxy password from a file")
      ->type_name("FILE");
}

// A repeatable option takes one value per flag: otherwise CLI11 lets
// "backup --exclude '*.tmp' DIR" swallow DIR as a second pattern.
void one_value_per_flag(CLI::App& app) {
  for (auto* option : app.get_options())
    if (option->nonpositional()) option->allow_extra_args(false);
  for (auto* sub : app.get_subcommands({}))
    one_value_per_flag(*sub);
}

// "did you mean ...?" for a mistyped subcommand (ninja does this for tools).
std::string suggestion(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.empty()) continue;
    if (arg[0] == '-') {
      // Skip the value of a global option that takes one ("--repo DIR").
      const auto* option = arg.find('=') == std::string_view::npos
                               ? app.get_option_no_throw(std::string(arg))
                               : nullptr;
      if (option && option->get_type_size() > 0) ++i;
      continue;
    }
    std::string best;
    std::size_t best_distance = 3;
    for (const auto* sub : app.get_subcommands({})) {
      const std::string& name = sub->get_name();
      if (name == arg) return "";
      const std::size_t d = name.rfind(arg, 0) == 0 ? 1 : edit_distance(arg, name);
      if (d < best_distance) {
        best_distance = d;
        best = name;
      }
    }
    return best.empty() ? "" : fmt::format("did you mean \"offsite {}\"?", best);
  }
  return "";
}

nlohmann::json option_names(const CLI::App& app) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto* option : app.get_options()) {
    for (const auto& name : option->get_lnames())
      names.push_back("--" + name);
    for (const auto& name : option->get_snames())
      names.push_back("-" + name);
  }
  return names;
}

// Hidden: every subcommand and option as JSON, so a test can check that the
// man page and the completions cover the program as it is; "subcommands"
// holds the nested ones (config show, key list, ...) with their options.
void register_cli_spec(CLI::App& app, GlobalOptions& global) {
  auto* sub = app.add_subcommand("__cli-spec", "");
  sub->group("");
  sub->callback([&app, &global] {
    global.run = [&app](Terminal&) {
      nlohmann::json commands = nlohmann::json::object();
      nlohmann::json nested = nlohmann::json::object();
      for (const auto* command : app.get_subcommands({})) {
        if (command->get_group().empty()) continue;
        commands[command->get_name()] = option_names(*command);
        for (const auto* inner : command->get_subcommands({}))
          nested[command->get_name()][inner->get_name()] = option_names(*inner);
      }
      const nlohmann::json spec = {
          {"global", option_names(app)}, {"commands", commands}, {"subcommands", nested}};
      std::puts(spec.dump().c_str());
      return 0;
    };
  });
}

bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--json") == 0) return true;
  return false;
}

int report_error(Code code, const std::string& message, const std::string& hint, bool json) {
  const CodeInfo info = code_info(code);
  if (json) {
    nlohmann::json error = {{"type", "error"},
                            {"schema", k_json_schema_version},
                            {"code", info.id},
                            {"message", message},
                            {"exit_code", info.exit_status}};
    if (!hint.empty()) error["hint"] = hint;
    std::puts(error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  fmt::print(stderr, "offsite: error: {}\n", message);
  if (!hint.empty()) fmt::print(stderr, "offsite: hint: {}\n", hint);
  return info.exit_status;
}

} // namespace

int run(int argc, char** argv) {
  GlobalOptions global;
  CLI::App app{"offsite: encrypted, deduplicated online backup"};
  app.set_version_flag("--version", std::string("offsite ") + OFFSITE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer("Run \"offsite COMMAND --help\" for a command's options. Exit codes and JSON: "
             "man offsite.\n\nExamples:\n"
             "  offsite --repo /mnt/usb/offsite init\n"
             "  offsite --repo /mnt/usb/offsite backup ~/Documents\n"
             "  offsite --repo /mnt/usb/offsite restore latest --target /tmp/restore");
  register_global_options(app, global);
  register_register(app, global);
  register_init(app, global);
  register_backup(app, global);
  register_restore(app, global);
  register_snapshots(app, global);
  register_ls(app, global);
  register_diff(app, global);
  register_forget(app, global);
  register_check(app, global);
  register_prune(app, global);
  register_stats(app, global);
  register_test_connection(app, global);
  register_firewall_rules(app, global);
  register_version(app, global);
  register_config(app, global);
  register_unlock(app, global);
  register_unregister(app, global);
  register_key(app, global);
  register_schedule(app, global);
  register_cli_spec(app, global);
  one_value_per_flag(app);

  const bool json = wants_json(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string hint = suggestion(app, argc, argv);
    if (hint.empty()) hint = "run \"offsite --help\" or \"offsite COMMAND --help\"";
    return report_error(Code::usage, e.what(), hint, json);
  }

  if (const auto chosen = app.get_subcommands(); !chosen.empty())
    global.command = chosen.front()->get_name();

  // CLI11 holds its own copies now: hide a proxy password from ps.
  scrub_argv_password(argc, argv);

  install_interrupt_handlers();
  try {
    Terminal terminal(global);
    if (auto warning = argv_password_warning(global.transport)) terminal.warning(*warning);
    return global.run(terminal);
  } catch (const Error& e) {
    return report_error(e.code(), e.what(), e.hint(), global.json);
  } catch (const std::bad_alloc&) {
    return report_error(Code::generic, "out of memory", "", global.json);
  } catch (const std::exception& e) {
    return report_error(Code::generic, fmt::format("unexpected failure: {}", e.what()),
                        "please report this as a bug", global.json);
  }
}

} // namespace offsite::cli
