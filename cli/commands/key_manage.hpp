#pragma once
// `offsite key add` and `offsite key remove`: more passphrases for one
// repository (each a key file wrapping the same master key), and taking one
// away again, never the one in use and so never the last.
#include <string>

#include "cli/global_options.hpp"
#include "cli/ui/terminal.hpp"

namespace offsite::cli {

// Asks for a passphrase that opens the repository, then the new one (twice,
// or the first line of `new_password_file`), and adds a key file for it.
int run_key_add(const std::string& new_password_file, const GlobalOptions& global,
                Terminal& terminal);

// Removes the key file `id` (its full ID or a unique prefix, as key list
// shows it) under the exclusive lease.
int run_key_remove(const std::string& id, const GlobalOptions& global, Terminal& terminal);

} // namespace offsite::cli
