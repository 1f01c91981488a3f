#pragma once
// The one error type of offsite and its table of stable ids and exit codes.
// Only main() catches it; everything below throws it and lets it travel.

#include <stdexcept>
#include <string>
#include <string_view>

namespace offsite {

enum class Code {
  generic,
  usage,
  passphrase_required, // no passphrase source and no terminal to ask on
  partial,             // backup finished, but some files could not be read
  no_server,           // no data-centre server reachable
  auth,                // account authentication or registration refused
  wrong_passphrase,    // the passphrase does not open the key
  locked,              // the repository is locked by another client
  integrity,           // stored data failed authentication or is malformed
  not_found,           // unknown snapshot, path or object
  no_space,            // a disk (ours or the server's) is full
  config,              // missing or invalid configuration / not registered
  failover_only,       // test-connection: every pair works, but only through failover
  interrupted,         // SIGINT/SIGTERM: stopped cleanly
};

struct CodeInfo {
  std::string_view id; // stable machine id, used in JSON "code"
  int exit_status;
};

CodeInfo code_info(Code code);

class Error : public std::runtime_error {
public:
  Error(Code code, const std::string& message, std::string hint = {});

  Code code() const { return m_code; }
  const std::string& hint() const { return m_hint; }
  // Stored data that is damaged or missing (integrity, not_found): what
  // restore, dump and prune go on past, unlike an unreachable store.
  bool is_data_damage() const { return m_code == Code::integrity || m_code == Code::not_found; }

private:
  Code m_code;
  std::string m_hint;
};

// Throws Error(Code::io-ish) with strerror(errno) appended: "<what>: <strerror>".
[[noreturn]] void throw_errno(std::string_view what, int err);

} // namespace offsite
