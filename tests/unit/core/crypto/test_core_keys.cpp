#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "core/common/error.hpp"
#include "core/crypto/keys.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

const crypto::ScryptParams k_fast{1 << 10, 8, 1};

Code code_of(const std::string& file, std::string_view passphrase) {
  try {
    unwrap_master_key(file, passphrase);
  } catch (const Error& e) {
    return e.code();
  }
  return Code::generic;
}

std::string with(const std::string& file, const std::string& pointer, const nlohmann::json& v) {
  auto j = nlohmann::json::parse(file);
  j[nlohmann::json::json_pointer(pointer)] = v;
  return j.dump();
}

} // namespace

TEST_SUITE_BEGIN("core::Keys");

TEST_CASE("given two generated master keys then all their parts are distinct and non-zero") {
  const MasterKey a = MasterKey::generate();
  const MasterKey b = MasterKey::generate();
  CHECK(a.encryption != b.encryption);
  CHECK(a.encryption != a.id_mac);
  CHECK(a.id_mac != a.chunker);
  CHECK(a.chunker != crypto::Key{});
}

TEST_CASE("given a wrapped key when unwrapped with the right passphrase then the same key comes "
          "back") {
  const MasterKey key = MasterKey::generate();
  const std::string file = wrap_master_key(key, "correct horse", k_fast);
  const MasterKey back = unwrap_master_key(file, "correct horse");
  CHECK(back.encryption == key.encryption);
  CHECK(back.id_mac == key.id_mac);
  CHECK(back.chunker == key.chunker);
}

TEST_CASE("given a wrapped key when looking at the file then it is the documented JSON and "
          "holds no key bytes in clear") {
  const MasterKey key = MasterKey::generate();
  const std::string file = wrap_master_key(key, "pw", k_fast);
  const auto j = nlohmann::json::parse(file);
  CHECK(j["format"] == "offsite-key");
  CHECK(j["version"] == 1);
  CHECK(j["kdf"]["name"] == "scrypt");
  CHECK(j["kdf"]["n"] == 1024);
  CHECK(j["kdf"]["r"] == 8);
  CHECK(j["kdf"]["p"] == 1);
  CHECK(j["kdf"]["salt"].get<std::string>().size() == 64);
  CHECK(j["cipher"] == "aes-256-gcm");
  CHECK(j["data"].get<std::string>().size() == 2 * (96 + 28));
  CHECK(j["created"].get<std::string>().size() == 20);
  CHECK(file.find(to_hex(key.encryption)) == std::string::npos);
  CHECK(file.find(to_hex(key.id_mac)) == std::string::npos);
  // Same key and passphrase wrap differently (fresh salt and nonce).
  CHECK(wrap_master_key(key, "pw", k_fast) != file);
}

TEST_CASE("given a wrapped key when unwrapped with a wrong passphrase then wrong_passphrase is "
          "thrown with a hint") {
  const std::string file = wrap_master_key(MasterKey::generate(), "right", k_fast);
  try {
    unwrap_master_key(file, "wrong");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Code::wrong_passphrase);
    CHECK(std::string(e.what()).find("wrong passphrase") != std::string::npos);
    CHECK(e.hint().find("--password-file") != std::string::npos);
    CHECK(std::string(e.what()).find("wrong") != std::string::npos);
  }
  CHECK(code_of(file, "") == Code::wrong_passphrase);
}

TEST_CASE("given a damaged or foreign key file when unwrapped then an integrity error is thrown") {
  const std::string file = wrap_master_key(MasterKey::generate(), "pw", k_fast);
  CHECK(code_of("", "pw") == Code::integrity);
  CHECK(code_of("not json", "pw") == Code::integrity);
  CHECK(code_of("[]", "pw") == Code::integrity);
  CHECK(code_of(file.substr(0, file.size() / 2), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/version", 2), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/version", "1"), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/format", "borg"), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/name", "argon2id"), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/cipher", "3des"), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/salt", "zz"), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/data", "00ff"), "pw") == Code::integrity);
  auto j = nlohmann::json::parse(file);
  j.erase("data");
  CHECK(code_of(j.dump(), "pw") == Code::integrity);
  try {
    unwrap_master_key(with(file, "/version", 7), "pw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("unknown version") != std::string::npos);
  }
}

TEST_CASE("given a key file with hostile scrypt parameters when unwrapped then it is refused "
          "without running scrypt") {
  const std::string file = wrap_master_key(MasterKey::generate(), "pw", k_fast);
  CHECK(code_of(with(file, "/kdf/n", 1000), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/n", std::uint64_t{1} << 23), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/n", std::uint64_t{1} << 40), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/n", -1024), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/r", 0), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/r", 1u << 30), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/p", 1u << 30), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/r", 64), "pw") != Code::generic);
}

TEST_CASE("given a planted key file asking for more scrypt work than offsite writes when "
          "unwrapped then it is refused before scrypt runs") {
  const std::string file = wrap_master_key(MasterKey::generate(), "pw", k_fast);
  // 2 GiB and seconds of CPU: within what a KDF accepts, far beyond offsite's
  // own N = 2^14, r = 8, p = 5.
  const std::string planted = with(with(file, "/kdf/n", std::uint64_t{1} << 21), "/kdf/p", 1);
  CHECK(code_of(planted, "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/n", std::uint64_t{1} << 18), "pw") == Code::integrity);
  CHECK(code_of(with(file, "/kdf/p", 64), "pw") == Code::integrity);
  try {
    unwrap_master_key(planted, "pw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("N=2097152") != std::string::npos);
  }
  // What offsite writes, and the stronger OWASP row, stay accepted.
  CHECK_NOTHROW(wrap_master_key(MasterKey::generate(), "pw", {}));
  CHECK_NOTHROW(wrap_master_key(MasterKey::generate(), "pw", {std::uint64_t{1} << 17, 8, 1}));
}

TEST_CASE("given a key file whose parameters were changed when unwrapped then it is not "
          "accepted") {
  const std::string file = wrap_master_key(MasterKey::generate(), "pw", k_fast);
  CHECK(code_of(with(file, "/kdf/n", 2048), "pw") == Code::wrong_passphrase);
}

TEST_CASE("given parameters a reader would refuse when wrapping then a usage error is thrown") {
  CHECK_THROWS_AS(wrap_master_key(MasterKey::generate(), "pw", {std::uint64_t{1} << 23, 8, 1}),
                  Error);
  CHECK_THROWS_AS(wrap_master_key(MasterKey::generate(), "pw", {1000, 8, 1}), Error);
}

TEST_SUITE_END();
