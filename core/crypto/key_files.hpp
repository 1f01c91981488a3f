#pragma once
// The key files of a repository as a set (keys/<16 hex>): which one a
// passphrase opens, adding one, and changing the passphrase so that some key
// file always opens the repository, whatever moment an interruption strikes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/keys.hpp"
#include "core/store/store.hpp"

namespace offsite::core {

// What a key file says about itself without its passphrase. These fields are
// not authenticated (the server could change them): shown, never trusted.
struct KeyFileInfo {
  std::string name;    // "keys/<hex>"
  std::string id;      // "<hex>"
  std::string created; // ISO 8601 UTC, "" when absent
  std::string host;    // where it was made, "" for older files
  std::string user;
};

// Every key file, sorted by name. Malformed ones are listed with what could
// be read.
std::vector<KeyFileInfo> list_key_files(Store& store);

// A key file that was not tried: damaged (not JSON, missing fields, bad hex,
// unknown version) or asking for more scrypt work than offsite ever writes.
struct SkippedKeyFile {
  std::string name;   // "keys/<hex>"
  std::string reason; // what is wrong with it
};

struct OpenedKeyFile {
  std::string name; // "keys/<hex>"
  MasterKey key;
  std::vector<SkippedKeyFile> skipped; // for a warning each
};

// The first key file `passphrase` opens; damaged ones are skipped and the
// others still tried. Error(integrity) naming the damaged files when none is
// intact ("damaged key file keys/<hex>: not valid JSON"), Error(wrong_passphrase)
// when intact ones exist and none opens (naming the damaged ones too, since
// the passphrase may be theirs), Error(config) when the store holds no
// repository (the same outcomes as Repository::unlock).
OpenedKeyFile find_key_file(Store& store, std::string_view passphrase);

// The text of a key file: wrap_master_key() plus this machine's host and
// user, so `key list` tells the files apart, the first (init) as well.
std::string labelled_key_file(const MasterKey& key, std::string_view passphrase,
                              const crypto::ScryptParams& params = {});

// Wraps `key` with `passphrase` into a new key file (labelled_key_file), stores it, reads it back
// and checks that it opens to the same key. Returns its name. Nothing else is touched.
std::string add_key_file(Store& store, const MasterKey& key, std::string_view passphrase,
                         const crypto::ScryptParams& params = {});

struct PassphraseChange {
  std::string added;   // "keys/<hex>", opens with the new passphrase
  std::string removed; // the old key file
};

// add_key_file, then removes `old_name`: in between both passphrases work,
// so an interruption never leaves the repository without a key that opens.
// An error removing the old file is rethrown with a message saying that the
// new passphrase is already in place.
PassphraseChange change_passphrase(Store& store, const MasterKey& key, const std::string& old_name,
                                   std::string_view new_passphrase,
                                   const crypto::ScryptParams& params = {});

} // namespace offsite::core
