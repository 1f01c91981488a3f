// The key file: the 96-byte master key sealed under a key derived from the
// passphrase with scrypt.
//
//   {"format":"offsite-key","version":1,
//    "kdf":{"name":"scrypt","n":16384,"r":8,"p":5,"salt":"<64 hex: 32 bytes>"},
//    "cipher":"aes-256-gcm",
//    "data":"<248 hex: nonce[12] || AES-256-GCM(encryption||id_mac||chunker) || tag[16]>",
//    "created":"2025-01-02T03:04:05Z"}
//
// The sealed data's associated data is "offsite-key-v1". The file travels
// through the server (new machines restore with it), so every field read
// back is treated as hostile: scrypt parameters are bounded to what offsite
// writes (plus a margin) before use, or a server could make us allocate
// gigabytes or spin for seconds on every command.
#include "core/crypto/keys.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

#include <fmt/format.h>
#include <string>

#include "core/common/error.hpp"

namespace offsite::core {
namespace {

constexpr std::string_view k_key_format = "offsite-key";
constexpr int k_key_version = 1;
constexpr std::string_view k_aad = "offsite-key-v1";
constexpr std::size_t k_salt_size = 32;
constexpr std::size_t k_plain_size = 3 * crypto::k_key_size;
constexpr std::size_t k_sealed_size = k_plain_size + crypto::k_seal_overhead;

// Bounds on parameters read from a file: what offsite itself writes
// (crypto::ScryptParams: N = 2^14, r = 8, p = 5, 16 MiB) with a margin for
// stronger settings (N = 2^17, r = 8, p = 1 is OWASP's 128 MiB row), and no
// more. Anyone who can put a key file in keys/ (the server, or a stolen
// account secret) could otherwise make every later command of every machine
// spend gigabytes and seconds on it before trying the next file.
constexpr std::uint64_t k_max_n = std::uint64_t{1} << 17;
constexpr std::uint64_t k_max_r = 16;
constexpr std::uint64_t k_max_p = 16;
constexpr std::uint64_t k_max_memory = std::uint64_t{256} << 20; // 128 * r * N bytes
constexpr std::uint64_t k_max_work = std::uint64_t{1} << 22;     // N * r * p, 6x the default

// Empty when acceptable, else what is wrong with them.
std::string check_params(std::uint64_t n, std::uint64_t r, std::uint64_t p) {
  if (n < 2 || (n & (n - 1)) != 0) return "scrypt N is not a power of two";
  const auto beyond = [&](std::string_view what) {
    return fmt::format("its scrypt parameters (N={}, r={}, p={}) ask for more {} than offsite "
                       "ever uses, so it is not tried",
                       n, r, p, what);
  };
  if (r == 0 || p == 0) return "scrypt r or p is zero";
  if (n > k_max_n || r > k_max_r || 128 * r * n > k_max_memory) return beyond("memory");
  if (p > k_max_p || n * r * p > k_max_work) return beyond("time");
  return {};
}

[[noreturn]] void damaged(std::string_view detail) {
  throw Error(Code::integrity, std::string(detail),
              "restore access from your key export with \"offsite key passwd --from-export "
              "FILE\", or use an offsite version that knows this format");
}

} // namespace

std::string utc_now_iso() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

MasterKey MasterKey::generate() {
  MasterKey key;
  crypto::random_fill(key.encryption);
  crypto::random_fill(key.id_mac);
  crypto::random_fill(key.chunker);
  return key;
}

std::string wrap_master_key(const MasterKey& key, std::string_view passphrase,
                            const crypto::ScryptParams& params) {
  // Never write a file that unwrap would refuse.
  if (const std::string why = check_params(params.n, params.r, params.p); !why.empty())
    throw Error(Code::usage, "refusing to create a key file: " + why);

  const Bytes salt = crypto::random_bytes(k_salt_size);
  Bytes wrapping = crypto::scrypt(passphrase, salt, params, crypto::k_key_size);
  std::array<std::uint8_t, k_plain_size> plain{};
  std::copy(key.encryption.begin(), key.encryption.end(), plain.begin());
  std::copy(key.id_mac.begin(), key.id_mac.end(), plain.begin() + 32);
  std::copy(key.chunker.begin(), key.chunker.end(), plain.begin() + 64);
  const Bytes sealed = crypto::seal(wrapping, plain, as_bytes(k_aad));
  crypto::secure_wipe(plain);
  crypto::secure_wipe(wrapping);

  nlohmann::ordered_json j;
  j["format"] = k_key_format;
  j["version"] = k_key_version;
  j["kdf"] = {{"name", "scrypt"},
              {"n", params.n},
              {"r", params.r},
              {"p", params.p},
              {"salt", to_hex(salt)}};
  j["cipher"] = "aes-256-gcm";
  j["data"] = to_hex(sealed);
  j["created"] = utc_now_iso();
  return j.dump(2) + "\n";
}

KeyFileFields read_key_file(std::string_view key_file) {
  const auto j = nlohmann::json::parse(key_file, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) damaged("not valid JSON");

  const auto string_field = [](const nlohmann::json& obj, const char* name) -> std::string {
    const auto it = obj.find(name);
    if (it == obj.end() || !it->is_string()) damaged(std::string("missing field \"") + name + "\"");
    return it->get<std::string>();
  };
  const auto uint_field = [](const nlohmann::json& obj, const char* name) -> std::uint64_t {
    const auto it = obj.find(name);
    if (it == obj.end() || !it->is_number_unsigned())
      damaged(std::string("missing or invalid field \"") + name + "\"");
    return it->get<std::uint64_t>();
  };

  if (string_field(j, "format") != k_key_format) damaged("not an offsite key file");
  if (uint_field(j, "version") != static_cast<std::uint64_t>(k_key_version))
    damaged("unknown version " + std::to_string(uint_field(j, "version")));
  const auto kdf = j.find("kdf");
  if (kdf == j.end() || !kdf->is_object()) damaged("missing field \"kdf\"");
  if (string_field(*kdf, "name") != "scrypt") damaged("unknown kdf");
  if (string_field(j, "cipher") != "aes-256-gcm") damaged("unknown cipher");

  const std::uint64_t n = uint_field(*kdf, "n");
  const std::uint64_t r = uint_field(*kdf, "r");
  const std::uint64_t p = uint_field(*kdf, "p");
  if (const std::string why = check_params(n, r, p); !why.empty()) damaged(why);
  auto salt = from_hex(string_field(*kdf, "salt"));
  if (!salt || salt->size() != k_salt_size) damaged("the salt is not 64 hex digits");
  auto sealed = from_hex(string_field(j, "data"));
  if (!sealed || sealed->size() != k_sealed_size)
    damaged(fmt::format("the wrapped key is not {} hex digits", 2 * k_sealed_size));
  return {crypto::ScryptParams{n, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(p)},
          std::move(*salt), std::move(*sealed)};
}

MasterKey open_key_file(const KeyFileFields& fields, ByteView wrapping_key) {
  auto plain = crypto::open(wrapping_key, fields.sealed, as_bytes(k_aad));
  if (!plain)
    throw Error(Code::wrong_passphrase, "wrong passphrase: it does not open the repository key",
                "check where the passphrase comes from: what you typed, --password-file, "
                "--password-command, OFFSITE_PASSWORD or OFFSITE_PASSWORD_FILE");
  if (plain->size() != k_plain_size) {
    crypto::secure_wipe(*plain);
    damaged("bad data");
  }

  MasterKey key;
  std::copy_n(plain->begin(), 32, key.encryption.begin());
  std::copy_n(plain->begin() + 32, 32, key.id_mac.begin());
  std::copy_n(plain->begin() + 64, 32, key.chunker.begin());
  crypto::secure_wipe(*plain);
  return key;
}

MasterKey unwrap_master_key(std::string_view key_file, std::string_view passphrase) {
  const KeyFileFields fields = read_key_file(key_file);
  Bytes wrapping = crypto::scrypt(passphrase, fields.salt, fields.params, crypto::k_key_size);
  try {
    MasterKey key = open_key_file(fields, wrapping);
    crypto::secure_wipe(wrapping);
    return key;
  } catch (...) {
    crypto::secure_wipe(wrapping);
    throw;
  }
}

} // namespace offsite::core
