#include <doctest/doctest.h>

#include "core/store/local_store.hpp"
#include "server/state/account_registry.hpp"
#include "tests/unit/temp_dir.hpp"

using offsite::core::LocalStore;
using offsite::server::AccountRegistry;

TEST_SUITE_BEGIN("server::AccountRegistry");

TEST_CASE("given a new account, when found again, then the record and secret match") {
  offsite::test::TempDir dir;
  LocalStore store(dir / "store");
  AccountRegistry registry(store);
  const auto created = registry.create({"127.0.0.1:1", "127.0.0.2:1"});
  CHECK(AccountRegistry::is_valid_id(created.record.id));
  CHECK(created.secret.size() == 64);
  const auto found = registry.find(created.record.id);
  REQUIRE(found);
  CHECK(found->storage_pair == std::vector<std::string>{"127.0.0.1:1", "127.0.0.2:1"});
  CHECK(AccountRegistry::secret_matches(*found, created.secret));
  CHECK_FALSE(AccountRegistry::secret_matches(*found, created.secret + "0"));
  CHECK_FALSE(AccountRegistry::secret_matches(*found, ""));
  // Only a hash of the secret is stored.
  CHECK(found->secret_hash != created.secret);
  CHECK_FALSE(registry.find("0000000000000000"));
  CHECK_FALSE(registry.find("../../etc"));
}

TEST_CASE("given an updated account, when found, then the newest version wins") {
  offsite::test::TempDir dir;
  LocalStore store(dir / "store");
  AccountRegistry registry(store);
  auto record = registry.create({}).record;
  record.append_only = true;
  record.quota_bytes = 123;
  registry.update(record);
  const auto found = registry.find(record.id);
  REQUIRE(found);
  CHECK(found->append_only);
  CHECK(found->quota_bytes == 123);
  CHECK(found->version == 2);
  // Writing from a stale copy loses the race instead of overwriting.
  CHECK_THROWS(registry.update(record));
}

TEST_CASE("given several accounts with data, when listed, then each appears once with usage") {
  offsite::test::TempDir dir;
  LocalStore store(dir / "store");
  AccountRegistry registry(store);
  const auto a = registry.create({}).record;
  const auto b = registry.create({}).record;
  std::string data(1000, 'x');
  REQUIRE(store.put(AccountRegistry::repo_prefix(a.id) + "data/aa/obj", offsite::as_bytes(data)));
  REQUIRE(store.put(AccountRegistry::repo_prefix(a.id) + "keys/k", offsite::as_bytes("abc")));
  const auto all = registry.list();
  REQUIRE(all.size() == 2);
  CHECK(((all[0].id == a.id && all[1].id == b.id) || (all[0].id == b.id && all[1].id == a.id)));
  CHECK(registry.usage(a.id).bytes == 1003);
  CHECK(registry.usage(a.id).objects == 2);
  CHECK(registry.usage(b.id).bytes == 0);
  CHECK(registry.usage(b.id).objects == 0);
}

TEST_CASE("given an invitation code, when consumed twice, then only the first succeeds") {
  offsite::test::TempDir dir;
  LocalStore store(dir / "store");
  AccountRegistry registry(store);
  const auto code = registry.create_invite();
  CHECK_FALSE(code.empty());
  CHECK_FALSE(registry.consume_invite("not-a-code"));
  CHECK(registry.consume_invite(code));
  CHECK_FALSE(registry.consume_invite(code));
}

TEST_SUITE_END();
