#pragma once
// What a user reads when an option is wrong. CLI11's own texts ("Could not
// convert: --latest = x", "Value 0 not in range 0.100000 to 600.000000",
// "FLOAT:FLOAT in [0.1 - 600]" in help) never reach a user: every parse
// error of an option is turned here into the house message and hint, and
// help shows clean type names. The one place for it, so a new flag gets it
// without doing anything.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace offsite::cli {

struct UsageText {
  std::string message;
  std::string hint;
};

// A validator's failure text is "MESSAGE" or "MESSAGE\nHINT"; the option's
// name is put in front of MESSAGE by describe_option_error. Validators made
// here have no description, so help shows only the option's type name.
CLI::Validator number_between(double low, double high, const std::string& unit);
CLI::Validator one_of(std::vector<std::string> choices);

// The option `name` ("--latest", "-e") of `command` or, since options fall
// through to the parents, of one of its parents; nullptr when none has it.
const CLI::Option* option_in_scope(const CLI::App* command, const std::string& name);

// After every option is declared (recursively): CLI11's default type names
// (INT, UINT, FLOAT) become N and NUMBER, and no validator description is
// appended to a type name in help.
void tidy_help(CLI::App& app);

// The message and hint of a parse error raised while parsing the options of
// `command` (whose full name, "offsite backup", is `path`). Errors that are
// not about an option (unknown command, missing subcommand) are app.cpp's.
UsageText describe_option_error(const CLI::App& command, const std::string& path,
                                const CLI::ParseError& error);

} // namespace offsite::cli
