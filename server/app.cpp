// offsited's command line, shaped like the client's (cli/app.cpp): one list
// of register_* calls, one dispatch, one table from error codes to exit
// statuses, one format for errors.
#include "server/app.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <new>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/common/error.hpp"
#include "server/commands/commands.hpp"
#include "util/printable.hpp"

namespace offsite::server {

namespace {

// man offsited, EXIT STATUS: 2 for usage errors, 1 for every other error.
// Finer statuses are the client's (core/common/error.hpp); an operator's
// scripts only tell "fix the command line" from "it failed".
int exit_status(Code code) {
  switch (code) {
  case Code::usage: return 2;
  case Code::generic:
  case Code::passphrase_required:
  case Code::partial:
  case Code::no_server:
  case Code::auth:
  case Code::wrong_passphrase:
  case Code::locked:
  case Code::integrity:
  case Code::not_found:
  case Code::no_space:
  case Code::config:
  case Code::failover_only:
  case Code::interrupted: return 1;
  }
  return 1;
}

int report_error(Code code, const std::string& message, const std::string& hint) {
  fmt::print(stderr, "offsited: error: {}\n", message);
  if (!hint.empty()) fmt::print(stderr, "offsited: hint: {}\n", hint);
  return exit_status(code);
}

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const auto* sub : app.get_subcommands({}))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

// The message and hint of a command line CLI11 refused: a missing or
// unknown command names the commands there are; other errors keep CLI11's
// words.
int report_parse_error(const CLI::App& app, int argc, char** argv, const CLI::ParseError& e) {
  const std::string what = e.what();
  if (what.rfind("A subcommand is required", 0) == 0) {
    const auto chosen = app.get_subcommands();
    if (!chosen.empty()) // "offsited account"
      return report_error(Code::usage,
                          fmt::format("\"offsited {}\" needs a command: {}",
                                      chosen.front()->get_name(), command_names(*chosen.front())),
                          fmt::format("run \"offsited {} --help\"", chosen.front()->get_name()));
    const std::string word = argc > 1 ? argv[1] : "";
    // Quoted only when it looks like a command word: argv may hold anything.
    const bool plain =
        !word.empty() && word.size() <= 32 && std::all_of(word.begin(), word.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
    const std::string message = word.empty() || word[0] == '-' ? "no command given"
                                : plain ? fmt::format("unknown command \"{}\"", word)
                                        : "unknown command";
    return report_error(
        Code::usage, message,
        fmt::format("the commands are {}; run \"offsited --help\"", command_names(app)));
  }
  // CLI11's text quotes what was typed: argv may hold anything.
  return report_error(Code::usage, util::printable(what),
                      "run \"offsited --help\" or \"offsited COMMAND --help\"");
}

} // namespace

int run(int argc, char** argv) {
  CLI::App app{"offsited: the offsite data-centre server", "offsited"};
  app.set_version_flag("--version", fmt::format("offsited {}", OFFSITE_VERSION));
  app.require_subcommand(1);
  CommandRun command;
  register_init(app, command);
  register_fingerprint(app, command);
  register_invite(app, command);
  register_accounts(app, command);
  register_account(app, command);
  register_serve(app, command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) { // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, argc, argv, e);
  }

  try {
    if (!command) throw Error(Code::usage, "no command given", "run \"offsited --help\"");
    return command();
  } catch (const Error& e) {
    return report_error(e.code(), e.what(), e.hint());
  } catch (const std::bad_alloc&) {
    return report_error(Code::generic, "out of memory", "");
  } catch (const std::exception& e) {
    return report_error(Code::generic, e.what(), "");
  }
}

} // namespace offsite::server
