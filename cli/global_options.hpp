#pragma once
// Options every subcommand shares, and the slot where the chosen subcommand
// leaves its work for main to run after parsing.

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace offsite::cli {

class Terminal;

// The transport flags as typed; cli/transport_settings.hpp validates them
// and weighs them against the environment and config.json.
struct TransportFlags {
  std::string proxy;               // --proxy URL
  std::vector<std::string> map;    // --map SERVER_IP[:PORT]=PORT (repeatable)
  std::string source_ports;        // --source-ports LOW-HIGH
  bool no_proxy = false;           // --no-proxy: ignore the proxy environment variables
  std::string proxy_password_file; // --proxy-password-file FILE
  std::string limit_upload;        // --limit-upload KiB/s ("" = config.json's, "0" = none)
  std::string limit_download;      // --limit-download KiB/s
};

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
  std::string retry_lock; // --retry-lock DURATION: how long to wait for a lease ("" = do not wait)
  TransportFlags transport;

  std::string command; // the subcommand chosen ("backup"), for lock records

  // Set by the parsed subcommand's callback; main runs it.
  std::function<int(Terminal&)> run;
};

} // namespace offsite::cli
