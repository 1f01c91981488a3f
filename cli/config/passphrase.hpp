#pragma once
#include <string>
#include <string_view>

#include "cli/global_options.hpp"

namespace offsite::cli {

// The passphrase from, in this order: --password-file, --password-command,
// OFFSITE_PASSWORD, OFFSITE_PASSWORD_FILE, else a prompt without echo when
// stdin is a terminal. With none of these it throws
// Error(Code::passphrase_required) at once: a cron job never hangs.
// `confirm` asks twice at a prompt (for a new passphrase).
std::string read_passphrase(const GlobalOptions& options, std::string_view prompt,
                            bool confirm = false);

// Where a passphrase may come from, tried in this order; the names are for
// messages. read_passphrase above is {--password-file, --password-command,
// OFFSITE_PASSWORD, OFFSITE_PASSWORD_FILE}; copy's source has its own.
struct PassphraseSources {
  std::string file;
  std::string command;
  std::string_view file_flag;
  std::string_view command_flag;
  std::string_view env;      // the passphrase itself
  std::string_view env_file; // a file holding it
};
std::string read_passphrase(const PassphraseSources& sources, std::string_view prompt,
                            bool confirm = false);

// Reads a secret from a file: the first line, without its line ending.
std::string read_secret_file(const std::string& path, std::string_view what);

// Runs `command` with /bin/sh and returns the first line of its output.
std::string read_secret_command(const std::string& command, std::string_view what);

// Prompts on /dev/tty with echo off. Error(passphrase_required) without a
// terminal, with `hint` (default: the passphrase flags and variables).
std::string prompt_secret(std::string_view prompt, std::string_view hint = {});

} // namespace offsite::cli
