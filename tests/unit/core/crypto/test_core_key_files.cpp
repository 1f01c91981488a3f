#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/crypto/key_files.hpp"
#include "core/repo/repository.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

const crypto::ScryptParams k_fast{1 << 10, 8, 1};

Code code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return Code::generic;
}

bool same(const MasterKey& a, const MasterKey& b) {
  return a.encryption == b.encryption && a.id_mac == b.id_mac && a.chunker == b.chunker;
}

// A store whose deletes fail, as on an append-only account.
class NoDeleteStore : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  bool remove(std::string_view) override {
    throw Error(Code::auth, "this account is append-only: deletion needs the operator");
  }
};

} // namespace

TEST_SUITE_BEGIN("core::KeyFiles");

TEST_CASE("given a repository when the passphrase is changed then only the new one opens it") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "old", k_fast);
  const auto opened = find_key_file(store, "old");
  CHECK(same(opened.key, key));

  const auto change = change_passphrase(store, opened.key, opened.name, "new", k_fast);
  CHECK(change.removed == opened.name);
  CHECK(change.added != opened.name);
  CHECK(same(Repository::unlock(store, "new"), key));
  CHECK(code_of([&] { Repository::unlock(store, "old"); }) == Code::wrong_passphrase);
  CHECK(code_of([&] { find_key_file(store, "old"); }) == Code::wrong_passphrase);
  const auto keys = list_key_files(store);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].name == change.added);
  CHECK(!keys[0].host.empty());
  CHECK(!keys[0].created.empty());
  CHECK(find_key_file(store, "new").name == change.added);
}

TEST_CASE("given two key files when each passphrase is tried then each finds its own file") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "first", k_fast);
  const std::string second = add_key_file(store, key, "second", k_fast);
  CHECK(list_key_files(store).size() == 2);
  CHECK(find_key_file(store, "second").name == second);
  CHECK(find_key_file(store, "first").name != second);
  CHECK(code_of([&] { find_key_file(store, "third"); }) == Code::wrong_passphrase);
}

TEST_CASE("given a store that refuses deletes when the passphrase is changed then both open") {
  test::TempDir dir;
  LocalStore inner(dir.path());
  NoDeleteStore store(inner);
  const MasterKey key = MasterKey::generate();
  Repository::init(inner, key, "old", k_fast);
  const auto opened = find_key_file(store, "old");
  std::string message;
  try {
    change_passphrase(store, key, opened.name, "new", k_fast);
  } catch (const Error& e) {
    message = e.what();
    CHECK(e.code() == Code::auth);
  }
  CHECK(message.find("the new passphrase is set") != std::string::npos);
  CHECK(message.find("append-only") != std::string::npos);
  // Never left without a key that opens: both do.
  CHECK(same(Repository::unlock(store, "old"), key));
  CHECK(same(Repository::unlock(store, "new"), key));
}

TEST_CASE("given a damaged key file among good ones then it is listed and skipped") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "pass", k_fast);
  REQUIRE(store.put("keys/00000000deadbeef", as_bytes("not json")));
  CHECK(list_key_files(store).size() == 2);
  CHECK(same(find_key_file(store, "pass").key, key));
}

namespace {

std::string error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// Another key file for `key`, with one field replaced (nullptr: the file is
// not JSON at all).
void plant(Store& store, const std::string& name, const MasterKey& key, const char* pointer,
           const nlohmann::json& value) {
  std::string text = wrap_master_key(key, "planted", k_fast);
  if (pointer == nullptr) {
    text = "{ not json";
  } else {
    auto j = nlohmann::json::parse(text);
    j[nlohmann::json::json_pointer(pointer)] = value;
    text = j.dump();
  }
  store.put(name, as_bytes(text));
}

} // namespace

TEST_CASE("given a damaged key file beside an intact one when unlocking then the intact one opens "
          "and the damaged one is named") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "pw", k_fast);
  plant(store, "keys/0000000000000000", key, nullptr, {}); // listed first
  const auto opened = find_key_file(store, "pw");
  CHECK(same(opened.key, key));
  REQUIRE(opened.skipped.size() == 1);
  CHECK(opened.skipped.front().name == "keys/0000000000000000");
  CHECK(opened.skipped.front().reason == "not valid JSON");
}

TEST_CASE("given only a damaged key file when unlocking then the error is integrity naming it, not "
          "a wrong passphrase") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "pw", k_fast);
  for (const auto& k : list_all(store, "keys/"))
    store.remove(k.key);
  plant(store, "keys/00000000000000aa", key, "/data", "zz");
  CHECK(code_of([&] { find_key_file(store, "pw"); }) == Code::integrity);
  CHECK(error_text([&] {
          Repository::unlock(store, "pw");
        }).starts_with("damaged key file keys/00000000000000aa: "));
}

TEST_CASE("given a damaged key file and a passphrase no intact file takes when unlocking then it "
          "is a wrong passphrase that names the damaged file") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "pw", k_fast);
  plant(store, "keys/0000000000000000", key, "/kdf", "scrypt");
  CHECK(code_of([&] { find_key_file(store, "other"); }) == Code::wrong_passphrase);
  CHECK(error_text([&] { find_key_file(store, "other"); }).find("keys/0000000000000000") !=
        std::string::npos);
}

TEST_CASE("given a planted key file with huge scrypt parameters when unlocking then it is skipped "
          "and never opens, even with its own passphrase") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  Repository::init(store, key, "pw", k_fast);
  plant(store, "keys/0000000000000000", key, "/kdf/n", std::uint64_t{1} << 21);
  const auto opened = find_key_file(store, "pw");
  CHECK(same(opened.key, key));
  REQUIRE(opened.skipped.size() == 1);
  CHECK(opened.skipped.front().reason.find("scrypt") != std::string::npos);
  CHECK(code_of([&] { find_key_file(store, "planted"); }) == Code::wrong_passphrase);
}

TEST_CASE("given an empty store then find_key_file says there is no repository") {
  test::TempDir dir;
  LocalStore store(dir.path());
  CHECK(code_of([&] { find_key_file(store, "x"); }) == Code::config);
}

TEST_SUITE_END();
