#pragma once
// Master keys and the passphrase-protected key file that holds them.

#include <string>
#include <string_view>

#include "core/crypto/crypto.hpp"

namespace offsite::core {

// The current time as ISO 8601 UTC ("2026-11-25T04:05:06Z"), for the
// "created" field of key files and key exports.
std::string utc_now_iso();

struct MasterKey {
  crypto::Key encryption{}; // AEAD key for blobs, pack headers, index, snapshots
  crypto::Key id_mac{};     // HMAC key: chunk ID = HMAC(id_mac, plaintext)
  crypto::Key chunker{};    // secret that derives the chunker's gear table

  static MasterKey generate();
};

// Key file (JSON text, versioned): the master key sealed with a key derived
// from the passphrase by scrypt; the scrypt parameters and salt are stored in
// the file so they can be raised later without breaking old files.
std::string wrap_master_key(const MasterKey& key, std::string_view passphrase,
                            const crypto::ScryptParams& params = {});

// Throws Error(Code::wrong_passphrase) when the passphrase does not open the
// file, Error(Code::integrity) when the file is malformed, of an unknown
// version, or asks for scrypt parameters beyond what offsite writes (plus a
// margin; checked before scrypt runs). The message of the latter says what
// is wrong with the file without naming it ("not valid JSON", ...).
MasterKey unwrap_master_key(std::string_view key_file, std::string_view passphrase);

// unwrap_master_key in its two halves, so that the decoder can be fuzzed
// without paying for scrypt: read_key_file checks every field (Error
// integrity, as above) and bounds the scrypt parameters before anyone
// derives with them; open_key_file authenticates and decrypts the sealed
// master key with the derived wrapping key (Error wrong_passphrase).
struct KeyFileFields {
  crypto::ScryptParams params;
  Bytes salt;
  Bytes sealed;
};
KeyFileFields read_key_file(std::string_view key_file);
MasterKey open_key_file(const KeyFileFields& fields, ByteView wrapping_key);

} // namespace offsite::core
