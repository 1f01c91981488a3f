#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "core/store/local_store.hpp"
#include "server/state/account_registry.hpp"
#include "tests/unit/temp_dir.hpp"

using offsite::core::ForwardingStore;
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

namespace {

// One front-end's view of the shared store: `before_get` runs (once) just
// before the first read of an object whose key names `id`, as another
// front-end acting between this one's listing and its read.
class InterleavingStore final : public ForwardingStore {
public:
  InterleavingStore(offsite::core::Store& inner, std::string id, std::function<void()> before_get)
      : ForwardingStore(inner), m_id(std::move(id)), m_before_get(std::move(before_get)) {}
  std::optional<offsite::Bytes> get(std::string_view key, std::uint64_t offset,
                                    std::optional<std::uint64_t> length) override {
    if (m_before_get && key.find(m_id) != std::string_view::npos) std::exchange(m_before_get, {})();
    return ForwardingStore::get(key, offset, length);
  }

private:
  std::string m_id;
  std::function<void()> m_before_get;
};

} // namespace

TEST_CASE("given a lookup on one front-end, when another updates the account between its listing "
          "and its read, then the lookup sees a record, not none") {
  offsite::test::TempDir dir;
  LocalStore shared(dir / "store");
  AccountRegistry other(shared);
  auto record = other.create({}).record;
  InterleavingStore view(shared, record.id, [&] {
    record.quota_bytes = 42;
    other.update(record);
  });
  AccountRegistry mine(view);
  const auto found = mine.find(record.id);
  REQUIRE(found);
  CHECK(found->quota_bytes == 42);
  CHECK(found->version == 2);
}

namespace {

// A create-only put as the S3 store retries one after a lost reply: when
// the key exists holding the very bytes it sent, the put counts as created.
class ContentRetryStore final : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  bool put(std::string_view key, offsite::ByteView data) override {
    if (ForwardingStore::put(key, data)) return true;
    const auto there = get(key, 0, std::nullopt);
    return there && std::equal(there->begin(), there->end(), data.begin(), data.end());
  }
};

// A put that lands but answers "exists", as a retry after a lost reply can.
class LostReplyStore final : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  bool put(std::string_view key, offsite::ByteView data) override {
    ForwardingStore::put(key, data);
    return false;
  }
};

} // namespace

TEST_CASE("given one invitation claimed through two front-ends on a store that retries puts by "
          "content, then exactly one claimant wins") {
  offsite::test::TempDir dir;
  LocalStore shared(dir / "store");
  ContentRetryStore view_a(shared);
  ContentRetryStore view_b(shared);
  AccountRegistry a(view_a);
  AccountRegistry b(view_b);
  const auto code = a.create_invite();
  CHECK(a.consume_invite(code));
  CHECK_FALSE(b.consume_invite(code));
}

TEST_CASE("given an invitation claim whose marker landed but whose reply said it exists, then the "
          "claimant recognises its own marker") {
  offsite::test::TempDir dir;
  LocalStore shared(dir / "store");
  AccountRegistry operator_side(shared);
  const auto code = operator_side.create_invite();
  LostReplyStore view(shared);
  AccountRegistry claimant(view);
  CHECK(claimant.consume_invite(code));
  CHECK_FALSE(AccountRegistry(shared).consume_invite(code));
}

namespace {

// Counts the listings that walk accounts/ (every repository's objects).
class ListingCounter final : public ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  int walks_of_accounts = 0;
  offsite::core::ListPage list(std::string_view prefix, std::string_view start_after,
                               std::size_t limit) override {
    if (prefix == "accounts/" || prefix == "accounts") ++walks_of_accounts;
    return ForwardingStore::list(prefix, start_after, limit);
  }
};

// An account record as earlier versions wrote it.
void put_legacy_record(offsite::core::Store& store, const std::string& id) {
  const std::string record =
      R"({"id":")" + id +
      R"(","secret_sha256":"00","created":1,"append_only":false,"quota_bytes":5,)"
      R"("storage_pair":["127.0.0.1:1"],"version":3})";
  REQUIRE(store.put("accounts/" + id + "/record/0000000003", offsite::as_bytes(record)));
}

} // namespace

TEST_CASE("given accounts with repositories, when listed, then the listing walks no repository") {
  offsite::test::TempDir dir;
  LocalStore shared(dir / "store");
  AccountRegistry creator(shared);
  const auto a = creator.create({}).record;
  REQUIRE(shared.put(AccountRegistry::repo_prefix(a.id) + "keys/k", offsite::as_bytes("abc")));
  ListingCounter view(shared);
  AccountRegistry registry(view);
  CHECK(registry.list().size() == 1);
  const int first = view.walks_of_accounts; // a store of an earlier version may need one
  CHECK(first <= 1);
  CHECK(registry.list().size() == 1);
  CHECK(AccountRegistry(view).list().size() == 1);
  CHECK(view.walks_of_accounts == first);
}

TEST_CASE("given a data directory of an earlier version, when its accounts are found, listed and "
          "updated, then they work and move to the registry") {
  offsite::test::TempDir dir;
  LocalStore store(dir / "store");
  const std::string id = "0123456789abcdef";
  put_legacy_record(store, id);
  AccountRegistry registry(store);
  const auto found = registry.find(id);
  REQUIRE(found);
  CHECK(found->quota_bytes == 5);
  CHECK(found->version == 3);
  const auto all = registry.list();
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == id);
  auto record = *found;
  record.append_only = true;
  registry.update(record);
  CHECK(offsite::core::list_all(store, "accounts/" + id + "/record/").empty());
  const auto updated = registry.find(id);
  REQUIRE(updated);
  CHECK(updated->append_only);
  CHECK(updated->version == 4);
  // An account an earlier version created after the copy is still found.
  put_legacy_record(store, "fedcba9876543210");
  CHECK(registry.find("fedcba9876543210"));
}

TEST_SUITE_END();
