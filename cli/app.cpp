#include "cli/app.hpp"
#include "cli/ui/text.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/global_options.hpp"
#include "cli/network/transport_settings.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/usage_errors.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

// Checked while parsing, so that schedule install refuses what the job would.
CLI::Validator rate_limit(const std::string& flag) {
  return {[flag](std::string& value) -> std::string {
            std::string error;
            if (parse_rate_limit(value, &error)) return {};
            return fmt::format("{}\ngive KiB/s, as in {} 2048 (2 MiB/s), or 0 for no limit", error,
                               flag);
          },
          ""};
}

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
  app.add_flag("-v,--verbose", g.verbose,
               "Print more detail, and the summaries also when stderr is not a terminal");
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
  app.add_option("--limit-upload", g.transport.limit_upload,
                 "Send at most this many KiB per second (0: no limit)")
      ->type_name("KiB/s")
      ->check(rate_limit("--limit-upload"));
  app.add_option("--limit-download", g.transport.limit_download,
                 "Receive at most this many KiB per second (0: no limit)")
      ->type_name("KiB/s")
      ->check(rate_limit("--limit-download"));
}

// A repeatable option takes one value per flag: otherwise CLI11 lets
// "backup --exclude '*.tmp' DIR" swallow DIR as a second pattern.
void one_value_per_flag(CLI::App& app) {
  for (auto* option : app.get_options())
    if (option->nonpositional()) option->allow_extra_args(false);
  for (auto* sub : app.get_subcommands({}))
    one_value_per_flag(*sub);
}

// A visible subcommand of `app` (the hidden __cli-spec is not offered).
bool is_visible(const CLI::App& app) { return !app.get_group().empty(); }

// What went wrong with the command words of argv, found by walking them as
// CLI11 does: an option is skipped with its value when it takes one (flags
// such as --json and -q take none), and each other word names a subcommand
// of the command before it until one without subcommands is reached.
struct CommandWords {
  std::string path;                  // "offsite key": the deepest command named
  std::string unknown;               // the word that names no subcommand of it
  std::vector<std::string> choices;  // its visible subcommands
  std::string suggestion;            // the closest of them, "" when none is close
  const CLI::App* command = nullptr; // the app of `path`
};

CommandWords walk_command_words(const CLI::App& app, int argc, char** argv) {
  CommandWords words{"offsite", "", {}, "", &app};
  const CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos) continue; // --repo=DIR
      const auto* option = option_in_scope(current, arg);
      if (option && option->get_items_expected_min() > 0) ++i;
      continue;
    }
    const auto subs = current->get_subcommands({});
    if (subs.empty()) break; // a positional argument of a command
    const auto found = std::find_if(subs.begin(), subs.end(),
                                    [&](const CLI::App* sub) { return sub->get_name() == arg; });
    if (found != subs.end()) {
      current = *found;
      words.command = current;
      words.path += " " + arg;
      continue;
    }
    words.unknown = arg;
    std::size_t best_distance = 3;
    for (const auto* sub : subs) {
      if (!is_visible(*sub)) continue;
      const std::string& name = sub->get_name();
      words.choices.push_back(name);
      const std::size_t d = name.rfind(arg, 0) == 0 ? 1 : edit_distance(arg, name);
      if (d < best_distance) {
        best_distance = d;
        words.suggestion = name;
      }
    }
    break;
  }
  if (words.unknown.empty())
    for (const auto* sub : current->get_subcommands({}))
      if (is_visible(*sub)) words.choices.push_back(sub->get_name());
  return words;
}

// The message and hint of a parse error: an unknown command is named, with
// "did you mean ...?" (ninja does this for tools); a command that needs a
// subcommand lists them; errors about options are usage_errors' words.
std::pair<std::string, std::string> explain_parse_error(const CLI::App& app, int argc, char** argv,
                                                        const CLI::ParseError& e) {
  const CommandWords words = walk_command_words(app, argc, argv);
  const std::string command = words.path.substr(std::string_view("offsite").size());
  if (!words.unknown.empty()) {
    const std::string message =
        fmt::format("unknown command \"{}{}\"", command.empty() ? "" : command.substr(1) + " ",
                    printable(words.unknown));
    if (!words.suggestion.empty())
      return {message, fmt::format("did you mean \"{} {}\"?", words.path, words.suggestion)};
    return {message, fmt::format("run \"{} --help\" to see the commands", words.path)};
  }
  const std::string what = e.what();
  if (what.rfind("A subcommand is required", 0) == 0 && !words.choices.empty()) {
    if (command.empty())
      return {"no command given", "run \"offsite --help\" to see the commands, e.g. \"offsite "
                                  "backup PATH...\""};
    std::string list;
    for (std::size_t k = 0; k < words.choices.size(); ++k)
      list += (k == 0 ? "" : k + 1 == words.choices.size() ? " or " : ", ") + words.choices[k];
    return {fmt::format("\"{}\" needs a command: {}", words.path, list),
            fmt::format("run \"{} --help\" for examples", words.path)};
  }
  auto text = describe_option_error(*words.command, words.path, e);
  if (command.empty() && text.hint == "run \"offsite --help\"")
    text.hint = "run \"offsite --help\" or \"offsite COMMAND --help\"";
  return {text.message, text.hint};
}

// True when `line` is an example of `path` ("offsite key list"), global
// options allowed between "offsite" and the command words.
bool is_example_of(std::string_view line, const std::string& path) {
  const auto start = line.find("offsite ");
  if (start == std::string_view::npos) return false;
  std::string_view rest = line.substr(start + 8);
  const std::string words = path.substr(8); // without "offsite "
  while (!rest.empty()) {
    if (rest.substr(0, words.size()) == words &&
        (rest.size() == words.size() || rest[words.size()] == ' '))
      return true;
    if (rest[0] != '-') return false;
    // Skip an option and, unless the next word is an option or the command,
    // its value: "--repo /mnt/usb/offsite init".
    const auto end = rest.find(' ');
    if (end == std::string_view::npos) return false;
    rest = rest.substr(end + 1);
    if (!rest.empty() && rest[0] != '-' && rest.substr(0, words.size()) != words) {
      const auto value_end = rest.find(' ');
      if (value_end == std::string_view::npos) return false;
      rest = rest.substr(value_end + 1);
    }
  }
  return false;
}

// Every command's --help ends with an example of it. A nested command that
// declares none (schedule show) takes the lines of its parent's examples
// that run it.
void examples_from_parents(CLI::App& app, const std::string& path) {
  for (auto* sub : app.get_subcommands({})) {
    if (!is_visible(*sub)) continue;
    const std::string sub_path = path + " " + sub->get_name();
    const std::string own = sub->get_footer();
    bool has_example = false;
    for (std::size_t pos = 0; pos <= own.size() && !has_example;) {
      const auto end = std::min(own.find('\n', pos), own.size());
      has_example = is_example_of(std::string_view(own).substr(pos, end - pos), sub_path);
      pos = end + 1;
    }
    if (!has_example) {
      std::vector<std::string> lines;
      const std::string parent = app.get_footer();
      for (std::size_t pos = 0; pos < parent.size();) {
        const auto end = std::min(parent.find('\n', pos), parent.size());
        const std::string line = parent.substr(pos, end - pos);
        if (line.rfind("  ", 0) == 0 && is_example_of(line, sub_path)) lines.push_back(line);
        pos = end + 1;
      }
      if (!lines.empty()) {
        std::string footer = lines.size() == 1 ? "Example:" : "Examples:";
        for (const auto& line : lines)
          footer += "\n" + line;
        sub->footer(footer);
      }
    }
    examples_from_parents(*sub, sub_path);
  }
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
  register_global_options(app, global);
  register_register(app, global);
  register_init(app, global);
  register_backup(app, global);
  register_restore(app, global);
  register_snapshots(app, global);
  register_ls(app, global);
  register_dump(app, global);
  register_mount(app, global);
  register_find(app, global);
  register_diff(app, global);
  register_forget(app, global);
  register_check(app, global);
  register_prune(app, global);
  register_repair(app, global);
  register_stats(app, global);
  register_tag(app, global);
  register_copy(app, global);
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
  tidy_help(app);
  // Set after the subcommands: CLI11 copies a parent's footer into each
  // subcommand made later, which showed these examples under "version --help".
  app.footer("Run \"offsite COMMAND --help\" for a command's options. Exit codes and JSON: "
             "man offsite.\n\nExamples:\n"
             "  offsite --repo /mnt/usb/offsite init\n"
             "  offsite --repo /mnt/usb/offsite backup ~/Documents\n"
             "  offsite --repo /mnt/usb/offsite restore latest --target /tmp/restore");
  examples_from_parents(app, "offsite");

  const bool json = wants_json(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) { // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto [message, hint] = explain_parse_error(app, argc, argv, e);
    return report_error(Code::usage, message, hint, json);
  }

  if (const auto chosen = app.get_subcommands(); !chosen.empty())
    global.command = chosen.front()->get_name();
  // Not ->excludes(): CLI11 would print "Excludes:" in every help.
  if (global.quiet && global.verbose > 0)
    return report_error(Code::usage, "--quiet and --verbose cannot be combined",
                        "choose one: -q prints only errors, -v prints more detail", json);

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
