#pragma once
// The exported master key (`offsite key export`): the repository's keys in
// clear, for safekeeping away from the machine, so that losing the
// passphrase does not lose the backups. `offsite key passwd --from-export`
// reads it back to set a new passphrase.

#include <string>
#include <string_view>

#include "core/crypto/keys.hpp"

namespace offsite::core {

struct KeyExport {
  MasterKey key;
  std::string repository_id;
};

// JSON text: {"format":"offsite-key-export","version":1,"note":...,
// "repository_id":...,"created":...,"master_key":{"encryption":hex,
// "id_mac":hex,"chunker":hex}}.
std::string format_key_export(const KeyExport& exported);

// Error(usage) naming what is wrong when `text` is not an export file of a
// version this offsite knows.
KeyExport parse_key_export(std::string_view text);

} // namespace offsite::core
