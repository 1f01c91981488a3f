#pragma once
// Options every subcommand shares, and the slot where the chosen subcommand
// leaves its work for main to run after parsing.

#include <functional>
#include <optional>
#include <string>

namespace offsite::cli {

class Terminal;

struct GlobalOptions {
  std::string config_dir; // "" = $XDG_CONFIG_HOME/offsite
  std::string cache_dir;  // "" = $XDG_CACHE_HOME/offsite
  std::string repo;       // local repository directory ("" = the registered account)
  std::string password_file;
  std::string password_command;
  bool json = false;
  bool quiet = false;
  int verbose = 0;
  bool no_progress = false;

  // Set by the parsed subcommand's callback; main runs it.
  std::function<int(Terminal&)> run;
};

} // namespace offsite::cli
