#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/store/local_store.hpp"
#include "server/handler/handler.hpp"
#include "tests/unit/temp_dir.hpp"

using offsite::as_bytes;
using offsite::to_hex;
using offsite::core::LocalStore;
using offsite::server::RegistrationMode;
using offsite::server::ServerContext;
using offsite::server::ServerOptions;
using offsite::server::Session;
using offsite::transport::error_of;
using offsite::transport::Frame;
using offsite::transport::Op;
using json = nlohmann::json;

namespace {

ServerOptions options(RegistrationMode mode = RegistrationMode::open, std::uint64_t quota = 0) {
  ServerOptions o;
  o.registration = mode;
  o.storage_pair = {"127.239.112.41:16384", "127.239.113.41:16384"};
  o.registration_pair = o.storage_pair;
  o.subnets = {"127.239.112.0/24", "127.239.113.0/24"};
  o.default_quota = quota;
  return o;
}

Frame call(Session& session, Op op, json header = json::object(), std::string payload = {}) {
  static std::uint32_t next_id = 100;
  Frame request;
  request.op = op;
  request.id = ++next_id;
  request.header = std::move(header);
  request.payload.assign(payload.begin(), payload.end());
  Frame reply = session.handle(request);
  CHECK(reply.id == request.id);
  return reply;
}

std::string code_of(const Frame& reply) {
  return reply.op == Op::reply_error ? error_of(reply).code : "ok";
}

struct Account {
  std::string id;
  std::string secret;
};

Account register_and_auth(Session& session) {
  const auto reply = call(session, Op::register_account);
  REQUIRE(code_of(reply) == "ok");
  Account a{reply.header.at("account_id").get<std::string>(),
            reply.header.at("secret").get<std::string>()};
  REQUIRE(code_of(call(session, Op::auth, {{"account_id", a.id}, {"secret", a.secret}})) == "ok");
  return a;
}

std::string sha(const std::string& text) {
  return to_hex(offsite::core::crypto::sha256(as_bytes(text)));
}

struct Fixture {
  offsite::test::TempDir dir;
  LocalStore store{dir / "store"};
};

} // namespace

TEST_SUITE_BEGIN("server::Session");

TEST_CASE("given a fresh session, when hello is sent, then it names the server and the map") {
  Fixture f;
  ServerContext context(f.store, options());
  Session session(context, "127.0.0.1");
  const auto reply = call(session, Op::hello, {{"client", "offsite/test"}});
  REQUIRE(code_of(reply) == "ok");
  CHECK(reply.header.at("protocol") == 1);
  CHECK(reply.header.at("server").get<std::string>().starts_with("offsited/"));
  CHECK(reply.header.at("network_map").at("subnets") ==
        json({"127.239.112.0/24", "127.239.113.0/24"}));
  CHECK(code_of(call(session, Op::network_map)) == "ok");
}

TEST_CASE("given a registered account, when put/get/head/list/remove, then objects round trip") {
  Fixture f;
  ServerContext context(f.store, options());
  Session session(context, "127.0.0.1");
  const auto reg = call(session, Op::register_account);
  REQUIRE(code_of(reg) == "ok");
  CHECK(reg.header.at("storage_pair") == json({"127.239.112.41:16384", "127.239.113.41:16384"}));
  const auto id = reg.header.at("account_id").get<std::string>();
  const auto secret = reg.header.at("secret").get<std::string>();

  CHECK(code_of(call(session, Op::put, {{"key", "keys/a"}}, "x")) == "auth_required");
  const auto auth = call(session, Op::auth, {{"account_id", id}, {"secret", secret}});
  REQUIRE(code_of(auth) == "ok");
  CHECK(auth.header.at("append_only") == false);

  auto put = call(session, Op::put, {{"key", "keys/a"}}, "hello world");
  REQUIRE(code_of(put) == "ok");
  CHECK(put.header.at("created") == true);
  CHECK(call(session, Op::put, {{"key", "keys/a"}}, "other").header.at("created") == false);

  const auto got = call(session, Op::get, {{"key", "keys/a"}});
  CHECK(std::string(got.payload.begin(), got.payload.end()) == "hello world");
  const auto range = call(session, Op::get, {{"key", "keys/a"}, {"offset", 6}, {"length", 3}});
  CHECK(std::string(range.payload.begin(), range.payload.end()) == "wor");
  CHECK(call(session, Op::head, {{"key", "keys/a"}}).header.at("size") == 11);
  CHECK(code_of(call(session, Op::get, {{"key", "keys/missing"}})) == "not_found");

  const std::string pack = "pack bytes";
  const std::string pack_key = "data/" + sha(pack).substr(0, 2) + "/" + sha(pack);
  CHECK(code_of(call(session, Op::put, {{"key", pack_key}}, pack)) == "ok");
  const auto listed = call(session, Op::list, {{"prefix", ""}, {"start_after", ""}, {"limit", 1}});
  CHECK(listed.header.at("objects") == json::array({json::array({pack_key, pack.size()})}));
  CHECK(listed.header.at("truncated") == true);
  const auto rest = call(session, Op::list, {{"prefix", ""}, {"start_after", pack_key}});
  CHECK(rest.header.at("objects") == json::array({json::array({"keys/a", 11})}));
  CHECK(rest.header.at("truncated") == false);

  CHECK(call(session, Op::remove, {{"key", "keys/a"}}).header.at("removed") == true);
  CHECK(call(session, Op::remove, {{"key", "keys/a"}}).header.at("removed") == false);
  CHECK(code_of(call(session, Op::get, {{"key", "keys/a"}})) == "not_found");
}

TEST_CASE("given a wrong secret or an unknown account, when auth, then both say auth_failed") {
  Fixture f;
  ServerContext context(f.store, options());
  Session owner(context, "10.0.0.1");
  const auto account = register_and_auth(owner);
  Session attacker(context, "10.0.0.2");
  CHECK(code_of(call(attacker, Op::auth, {{"account_id", account.id}, {"secret", "00"}})) ==
        "auth_failed");
  CHECK(code_of(call(attacker, Op::auth, {{"account_id", "0123456789abcdef"}, {"secret", "00"}})) ==
        "auth_failed");
  CHECK(code_of(call(attacker, Op::auth, {{"account_id", "../x"}, {"secret", "00"}})) ==
        "auth_failed");
  CHECK(code_of(call(attacker, Op::get, {{"key", "keys/a"}})) == "auth_required");
  CHECK(code_of(call(attacker, Op::auth, {{"account_id", 5}})) == "bad_request");
}

TEST_CASE("given five failures from one address, when it fails again, then throttled") {
  Fixture f;
  ServerContext context(f.store, options());
  Session owner(context, "10.0.0.1");
  const auto account = register_and_auth(owner);
  Session attacker(context, "10.0.0.9");
  for (int i = 0; i < 5; ++i)
    CHECK(code_of(call(attacker, Op::auth,
                       {{"account_id", "0123456789abcdef"}, {"secret", "x"}})) == "auth_failed");
  const auto reply = call(attacker, Op::auth, {{"account_id", account.id}, {"secret", "y"}});
  CHECK(code_of(reply) == "throttled");
  CHECK(reply.header.at("retry_after_ms").get<std::int64_t>() > 0);
  // The right secret is still let in, even from the throttled address.
  CHECK(code_of(call(attacker, Op::auth,
                     {{"account_id", account.id}, {"secret", account.secret}})) == "ok");
}

TEST_CASE("given the registration limit of an address reached, when it registers again, then "
          "throttled and logged once, while other addresses still register") {
  Fixture f;
  ServerOptions o = options();
  o.registrations_per_hour = 3;
  std::vector<std::string> logged;
  o.log = [&logged](const std::string& line) {
    if (line.find("--max-registrations-per-hour") != std::string::npos) logged.push_back(line);
  };
  ServerContext context(f.store, o);
  // One IPv6 /64 is one source, whatever its last 64 bits.
  for (int i = 0; i < 3; ++i) {
    Session session(context, "2001:db8:1:2::" + std::to_string(i + 1));
    CHECK(code_of(call(session, Op::register_account)) == "ok");
  }
  CHECK(logged.size() == 1); // once, as the limit is reached
  Session again(context, "2001:db8:1:2::99");
  const auto refused = call(again, Op::register_account);
  CHECK(code_of(refused) == "throttled");
  CHECK(refused.header.at("retry_after_ms").get<std::int64_t>() > 0);
  CHECK(error_of(refused).message.find("registered from this address") != std::string::npos);
  CHECK(logged.size() == 1);
  Session other(context, "2001:db8:1:3::1");
  CHECK(code_of(call(other, Op::register_account)) == "ok");
}

TEST_CASE("given invitation mode, when one address registers beyond the open-mode limit, then "
          "every invitation is honoured (an invitation is its own limit)") {
  Fixture f;
  ServerOptions o = options(RegistrationMode::invite);
  o.registrations_per_hour = 1;
  ServerContext context(f.store, o);
  Session session(context, "10.0.0.1");
  for (int i = 0; i < 3; ++i)
    CHECK(code_of(call(session, Op::register_account,
                       {{"code", context.registry().create_invite()}})) == "ok");
}

TEST_CASE("given no registration limit, when one address registers many accounts, then all are "
          "created") {
  Fixture f;
  ServerOptions o = options();
  o.registrations_per_hour = 0;
  ServerContext context(f.store, o);
  Session session(context, "10.0.0.1");
  for (int i = 0; i < 25; ++i)
    CHECK(code_of(call(session, Op::register_account)) == "ok");
}

TEST_CASE("given a cancelled account, when its secret logs in, then account_cancelled says so, "
          "while a wrong secret gets auth_failed as for any unknown account") {
  Fixture f;
  ServerContext context(f.store, options());
  Session owner(context, "10.0.0.1");
  const auto account = register_and_auth(owner);
  REQUIRE(code_of(call(owner, Op::unregister)) == "ok");
  Session other(context, "10.0.0.2");
  const auto cancelled =
      call(other, Op::auth, {{"account_id", account.id}, {"secret", account.secret}});
  CHECK(code_of(cancelled) == "account_cancelled");
  CHECK(error_of(cancelled).message.starts_with(
      "the account was cancelled (offsite unregister) on "));
  CHECK(code_of(call(other, Op::auth,
                     {{"account_id", account.id}, {"secret", "0" + account.secret}})) ==
        "auth_failed");
}

TEST_CASE("given five failures against one account, when the owner logs in, then it is let in") {
  Fixture f;
  ServerContext context(f.store, options());
  Session owner(context, "10.0.0.1");
  const auto account = register_and_auth(owner);
  for (int i = 0; i < 5; ++i) {
    Session attacker(context, "10.1.0." + std::to_string(i));
    CHECK(code_of(call(attacker, Op::auth, {{"account_id", account.id}, {"secret", "x"}})) ==
          "auth_failed");
  }
  Session fresh(context, "10.2.0.1");
  CHECK(code_of(call(fresh, Op::auth, {{"account_id", account.id}, {"secret", account.secret}})) ==
        "ok");
  // A stranger's next wrong guess from a new address is merely a failure.
  Session stranger(context, "10.3.0.1");
  CHECK(code_of(call(stranger, Op::auth, {{"account_id", account.id}, {"secret", "x"}})) ==
        "auth_failed");
}

TEST_CASE("given two accounts, when A names B's objects, then A cannot touch them") {
  Fixture f;
  ServerContext context(f.store, options());
  Session a(context, "10.0.0.1");
  Session b(context, "10.0.0.2");
  const auto account_a = register_and_auth(a);
  const auto account_b = register_and_auth(b);
  REQUIRE(account_a.id != account_b.id);
  REQUIRE(code_of(call(b, Op::put, {{"key", "keys/5ec2e7"}}, "B's data")) == "ok");

  // A's view of the same key is its own, empty namespace.
  CHECK(code_of(call(a, Op::get, {{"key", "keys/5ec2e7"}})) == "not_found");
  CHECK(code_of(call(a, Op::head, {{"key", "keys/5ec2e7"}})) == "not_found");
  CHECK(call(a, Op::list, {{"prefix", ""}}).header.at("objects").empty());
  CHECK(call(a, Op::remove, {{"key", "keys/5ec2e7"}}).header.at("removed") == false);
  CHECK(call(a, Op::put, {{"key", "keys/5ec2e7"}}, "A's data").header.at("created") == true);

  // Escapes out of the account's prefix are refused as invalid keys.
  const std::string escape = "../../" + account_b.id + "/repo/keys/secret";
  for (const auto op : {Op::get, Op::head, Op::remove})
    CHECK(code_of(call(a, op, {{"key", escape}})) == "invalid_key");
  CHECK(code_of(call(a, Op::put, {{"key", escape}}, "x")) == "invalid_key");
  CHECK(code_of(call(a, Op::put, {{"key", "/abs"}}, "x")) == "invalid_key");
  CHECK(code_of(call(a, Op::list, {{"prefix", "../"}})) == "invalid_key");
  CHECK(code_of(call(a, Op::list, {{"prefix", "keys/../"}})) == "invalid_key");
  CHECK(code_of(call(a, Op::list, {{"prefix", "keys/"}})) == "ok");
  CHECK(code_of(call(a, Op::list, {{"prefix", "..\\"}})) == "invalid_key");

  // B's object is untouched.
  const auto got = call(b, Op::get, {{"key", "keys/5ec2e7"}});
  CHECK(std::string(got.payload.begin(), got.payload.end()) == "B's data");
}

TEST_CASE("given a content-addressed key, when the payload's hash differs, then hash_mismatch") {
  Fixture f;
  ServerContext context(f.store, options());
  Session session(context, "10.0.0.1");
  register_and_auth(session);
  const std::string h = sha("real");
  CHECK(code_of(call(session, Op::put, {{"key", "data/" + h.substr(0, 2) + "/" + h}}, "fake")) ==
        "hash_mismatch");
  CHECK(code_of(call(session, Op::put, {{"key", "index/" + h}}, "fake")) == "hash_mismatch");
  CHECK(code_of(call(session, Op::put, {{"key", "snapshots/" + h}}, "fake")) == "hash_mismatch");
  CHECK(code_of(call(session, Op::put, {{"key", "index/" + h}}, "real")) == "ok");
  CHECK(code_of(call(session, Op::get, {{"key", "snapshots/" + h}})) == "not_found");
}

TEST_CASE("given a quota, when a put would exceed it, then quota_exceeded until space is freed") {
  Fixture f;
  ServerContext context(f.store, options(RegistrationMode::open, 10));
  Session session(context, "10.0.0.1");
  register_and_auth(session);
  CHECK(code_of(call(session, Op::put, {{"key", "keys/a"}}, "123456")) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/b"}}, "123456")) == "quota_exceeded");
  CHECK(code_of(call(session, Op::head, {{"key", "keys/b"}})) == "not_found");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/c"}}, "1234")) == "ok");
  CHECK(code_of(call(session, Op::remove, {{"key", "keys/a"}})) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/b"}}, "123456")) == "ok");
}

TEST_CASE("given an object quota, when a put would exceed it, then quota_exceeded until one is "
          "removed") {
  Fixture f;
  auto o = options();
  o.default_quota_objects = 2;
  ServerContext context(f.store, o);
  Session session(context, "127.0.0.1");
  register_and_auth(session);
  CHECK(code_of(call(session, Op::put, {{"key", "keys/0a"}}, "")) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/0b"}}, "")) == "ok");
  const auto refused = call(session, Op::put, {{"key", "keys/0c"}}, "");
  CHECK(code_of(refused) == "quota_exceeded");
  CHECK(error_of(refused).message.find("2 objects") != std::string::npos);
  // An existing key is not a new object, but is still refused up front.
  CHECK(code_of(call(session, Op::remove, {{"key", "keys/0a"}})) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/0c"}}, "")) == "ok");
  CHECK(context.usage(session.account().value()).objects == 2);
}

TEST_CASE("given two front-ends on one store, when both store for one account, then together "
          "they stay within its quota, and space freed through one is usable through the other") {
  Fixture f;
  ServerContext front_a(f.store, options(RegistrationMode::open, 10));
  ServerContext front_b(f.store, options(RegistrationMode::open, 10));
  Session a(front_a, "10.0.0.1");
  Session b(front_b, "10.0.0.2");
  const auto account = register_and_auth(a);
  REQUIRE(code_of(call(b, Op::auth, {{"account_id", account.id}, {"secret", account.secret}})) ==
          "ok");
  CHECK(code_of(call(b, Op::put, {{"key", "keys/b0"}}, "12")) == "ok"); // B knows 2 bytes
  CHECK(code_of(call(a, Op::put, {{"key", "keys/a"}}, "123456")) == "ok");
  CHECK(code_of(call(b, Op::put, {{"key", "keys/b"}}, "123456")) == "quota_exceeded");
  CHECK(code_of(call(a, Op::put, {{"key", "keys/a2"}}, "123456")) == "quota_exceeded");
  CHECK(code_of(call(b, Op::remove, {{"key", "keys/a"}})) == "ok");
  CHECK(code_of(call(a, Op::put, {{"key", "keys/a2"}}, "123456")) == "ok");
  CHECK(code_of(call(b, Op::put, {{"key", "keys/b"}}, "123")) == "quota_exceeded");
}

TEST_CASE("given two front-ends started with different settings flags, then both announce the "
          "settings of the one started last") {
  Fixture f;
  auto first = options();
  first.settings_max_age = std::chrono::milliseconds(0); // reads the store at every use
  ServerContext front_a(f.store, first);
  auto second = options(RegistrationMode::invite, 77);
  second.subnets = {"127.239.114.0/24"};
  ServerContext front_b(f.store, second);
  Session a(front_a, "10.0.0.1");
  const auto hello = call(a, Op::hello, {{"client", "test"}});
  CHECK(hello.header.at("network_map").at("subnets") == json::array({"127.239.114.0/24"}));
  CHECK(code_of(call(a, Op::register_account)) == "invite_required");
}

TEST_CASE("given settings in the store, when a front-end starts without settings flags, then it "
          "announces the stored ones, not the defaults it derived from its own address") {
  Fixture f;
  auto operator_given = options(RegistrationMode::open, 77);
  ServerContext front_a(f.store, operator_given);
  auto derived = options(RegistrationMode::open, 0);
  derived.storage_pair = {"127.239.112.99:16384", "127.239.112.99:16384"};
  derived.subnets = {"127.239.112.0/24"};
  derived.given = offsite::server::GivenSettings::none();
  ServerContext front_b(f.store, derived);
  Session b(front_b, "10.0.0.2");
  const auto reg = call(b, Op::register_account);
  REQUIRE(code_of(reg) == "ok");
  CHECK(reg.header.at("storage_pair") == json(operator_given.storage_pair));
  CHECK(reg.header.at("network_map").at("subnets") == json(operator_given.subnets));
  const auto auth =
      call(b, Op::auth,
           {{"account_id", reg.header.at("account_id")}, {"secret", reg.header.at("secret")}});
  REQUIRE(code_of(auth) == "ok");
  CHECK(auth.header.at("quota_bytes").get<std::uint64_t>() == 77);
}

TEST_CASE("given 64 live leases, when one more is asked, then locked until one goes") {
  Fixture f;
  ServerContext context(f.store, options());
  Session session(context, "127.0.0.1");
  register_and_auth(session);
  std::string first;
  for (int i = 0; i < 64; ++i) {
    const auto reply = call(session, Op::lease_acquire, {{"kind", "shared"}, {"command", "b"}});
    REQUIRE(code_of(reply) == "ok");
    if (first.empty()) first = reply.header.at("lease").at("id").get<std::string>();
  }
  const auto refused = call(session, Op::lease_acquire, {{"kind", "shared"}, {"command", "b"}});
  CHECK(code_of(refused) == "locked");
  CHECK(error_of(refused).message.find("64 live locks") != std::string::npos);
  CHECK(code_of(call(session, Op::lease_release, {{"lease_id", first}})) == "ok");
  CHECK(code_of(call(session, Op::lease_acquire, {{"kind", "shared"}, {"command", "b"}})) == "ok");
}

TEST_CASE("given invite registration, when the code is missing, used or unknown, then refused") {
  Fixture f;
  ServerContext context(f.store, options(RegistrationMode::invite));
  Session session(context, "10.0.0.1");
  CHECK(code_of(call(session, Op::register_account)) == "invite_required");
  CHECK(code_of(call(session, Op::register_account, {{"code", "nope"}})) == "invalid_invite");
  const auto code = context.registry().create_invite();
  CHECK(code_of(call(session, Op::register_account, {{"code", code}})) == "ok");
  CHECK(code_of(call(session, Op::register_account, {{"code", code}})) == "invalid_invite");
}

TEST_CASE("given an append-only account, when remove is asked, then append_only and kept") {
  Fixture f;
  ServerContext context(f.store, options());
  Session setup(context, "10.0.0.1");
  const auto account = register_and_auth(setup);
  auto record = context.registry().find(account.id);
  REQUIRE(record);
  record->append_only = true;
  context.registry().update(*record);

  Session session(context, "10.0.0.1");
  const auto auth =
      call(session, Op::auth, {{"account_id", account.id}, {"secret", account.secret}});
  REQUIRE(code_of(auth) == "ok");
  CHECK(auth.header.at("append_only") == true);
  CHECK(code_of(call(session, Op::put, {{"key", "keys/a"}}, "x")) == "ok");
  CHECK(code_of(call(session, Op::remove, {{"key", "keys/a"}})) == "append_only");
  CHECK(code_of(call(session, Op::head, {{"key", "keys/a"}})) == "ok");
}

namespace {

json lease_request(const char* kind, const char* command) {
  return {{"kind", kind},    {"host", "web1"},     {"pid", 4242},
          {"user", "alice"}, {"command", command}, {"ttl_ms", 60000}};
}

std::string lease_id(const Frame& reply) {
  REQUIRE(code_of(reply) == "ok");
  return reply.header.at("lease").at("id").get<std::string>();
}

} // namespace

TEST_CASE("given a repository, when a session deletes without the exclusive lease, then "
          "lease_required, and with it the delete happens") {
  Fixture f;
  ServerContext context(f.store, options());
  Session session(context, "10.0.0.1");
  register_and_auth(session);
  // Before a repository exists, an interrupted init's key files may be cleared.
  CHECK(code_of(call(session, Op::put, {{"key", "keys/a"}}, "x")) == "ok");
  CHECK(code_of(call(session, Op::remove, {{"key", "keys/a"}})) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "config"}}, "c")) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/b"}}, "x")) == "ok");
  CHECK(code_of(call(session, Op::remove, {{"key", "keys/b"}})) == "lease_required");

  const auto shared = lease_id(call(session, Op::lease_acquire, lease_request("shared", "backup")));
  CHECK(code_of(call(session, Op::remove, {{"key", "keys/b"}})) == "lease_required");
  CHECK(code_of(call(session, Op::lease_release, {{"lease_id", shared}})) == "ok");
  const auto exclusive =
      lease_id(call(session, Op::lease_acquire, lease_request("exclusive", "prune")));
  CHECK(call(session, Op::remove, {{"key", "keys/b"}}).header.at("removed") == true);
  CHECK(code_of(call(session, Op::lease_release, {{"lease_id", exclusive}})) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/c"}}, "x")) == "ok");
  CHECK(code_of(call(session, Op::remove, {{"key", "keys/c"}})) == "lease_required");
}

TEST_CASE("given a backup's shared lease on one server, when prune asks another server of the "
          "same store for the exclusive lease, then it is refused naming the backup") {
  Fixture f;
  ServerContext primary(f.store, options());
  ServerContext alternate(f.store, options());
  Session backup(primary, "10.0.0.1");
  const auto account = register_and_auth(backup);
  const auto held = lease_id(call(backup, Op::lease_acquire, lease_request("shared", "backup")));

  Session prune(alternate, "10.0.0.2");
  REQUIRE(code_of(call(prune, Op::auth,
                       {{"account_id", account.id}, {"secret", account.secret}})) == "ok");
  const auto refused = call(prune, Op::lease_acquire, lease_request("exclusive", "prune"));
  REQUIRE(code_of(refused) == "locked");
  CHECK(error_of(refused).message.find("backup on host web1 (pid 4242, user alice)") !=
        std::string::npos);
  const auto listed = call(prune, Op::lease_list);
  REQUIRE(listed.header.at("leases").size() == 1);
  CHECK(listed.header.at("leases")[0].at("id") == held);
  CHECK(listed.header.at("leases")[0].at("command") == "backup");

  // The backup's client fails over: its refresh on the alternate keeps it.
  Session moved(alternate, "10.0.0.1");
  REQUIRE(code_of(call(moved, Op::auth,
                       {{"account_id", account.id}, {"secret", account.secret}})) == "ok");
  CHECK(code_of(call(moved, Op::lease_refresh, {{"lease_id", held}})) == "ok");
  CHECK(call(prune, Op::lease_break, {{"lease_id", held}}).header.at("removed") == true);
  CHECK(code_of(call(moved, Op::lease_refresh, {{"lease_id", held}})) == "lease_lost");
  CHECK(code_of(call(prune, Op::lease_acquire, lease_request("exclusive", "prune"))) == "ok");
}

TEST_CASE("given malformed lease requests, then bad_request and the session goes on") {
  Fixture f;
  ServerContext context(f.store, options());
  Session session(context, "10.0.0.1");
  register_and_auth(session);
  CHECK(code_of(call(session, Op::lease_acquire, {{"kind", "both"}})) == "bad_request");
  CHECK(code_of(call(session, Op::lease_acquire, {{"kind", 7}})) == "bad_request");
  CHECK(code_of(call(session, Op::lease_acquire,
                     {{"kind", "shared"}, {"host", std::string(300, 'h')}})) == "bad_request");
  CHECK(code_of(call(session, Op::lease_refresh, {{"lease_id", "../../x"}})) == "lease_lost");
  CHECK(code_of(call(session, Op::lease_acquire, {{"kind", "shared"}})) == "ok");
}

TEST_CASE("given an account, when it unregisters holding the exclusive lease, then its data and "
          "record are gone, and append-only refuses") {
  Fixture f;
  ServerContext context(f.store, options());
  Session session(context, "10.0.0.1");
  const auto account = register_and_auth(session);
  CHECK(code_of(call(session, Op::put, {{"key", "config"}}, "c")) == "ok");
  CHECK(code_of(call(session, Op::put, {{"key", "keys/0f"}}, "key")) == "ok");
  CHECK(code_of(call(session, Op::unregister)) == "lease_required");
  lease_id(call(session, Op::lease_acquire, lease_request("exclusive", "unregister")));
  const auto done = call(session, Op::unregister);
  REQUIRE(code_of(done) == "ok");
  CHECK(done.header.at("objects_deleted") == 3); // config, key and the lease
  CHECK(code_of(call(session, Op::head, {{"key", "config"}})) == "auth_required");
  CHECK_FALSE(context.registry().find(account.id));
  CHECK(offsite::core::list_all(f.store, "accounts/" + account.id + "/").empty());
  // Another machine of the account is told the account is gone, not that
  // its credentials are wrong.
  Session again(context, "10.0.0.3");
  CHECK(code_of(call(again, Op::auth, {{"account_id", account.id}, {"secret", account.secret}})) ==
        "account_cancelled");

  Session other(context, "10.0.0.1");
  const auto kept = register_and_auth(other);
  auto record = context.registry().find(kept.id);
  record->append_only = true;
  context.registry().update(*record);
  Session locked(context, "10.0.0.1");
  REQUIRE(code_of(call(locked, Op::auth, {{"account_id", kept.id}, {"secret", kept.secret}})) ==
          "ok");
  lease_id(call(locked, Op::lease_acquire, lease_request("exclusive", "unregister")));
  CHECK(code_of(call(locked, Op::unregister)) == "append_only");
  CHECK(context.registry().find(kept.id));
}

// A store whose puts and gets fail, once armed, as a failing disk does:
// with an error that names a path on the server.
class FailingDiskStore : public offsite::core::ForwardingStore {
public:
  using ForwardingStore::ForwardingStore;
  bool failing = false;
  bool put(std::string_view key, offsite::ByteView data) override {
    if (failing) fail();
    return ForwardingStore::put(key, data);
  }
  std::optional<offsite::Bytes> get(std::string_view key, std::uint64_t offset,
                                    std::optional<std::uint64_t> length) override {
    if (failing) fail();
    return ForwardingStore::get(key, offset, length);
  }

private:
  [[noreturn]] static void fail() {
    throw offsite::Error(offsite::Code::generic,
                         "cannot sync directory /srv/secret-dc/store/accounts/x: I/O error");
  }
};

TEST_CASE("given a failing disk, when put or get fails, then the reply names no server path and "
          "the log names the account, the key and the error") {
  Fixture f;
  FailingDiskStore disk(f.store);
  std::vector<std::string> log;
  auto opts = options();
  opts.log = [&log](const std::string& line) { log.push_back(line); };
  ServerContext context(disk, opts);
  Session session(context, "127.0.0.1");
  const auto account = register_and_auth(session);
  REQUIRE(code_of(call(session, Op::put, {{"key", "keys/00aa"}}, "x")) == "ok");
  log.clear(); // the settings the context wrote into the empty store
  disk.failing = true;

  const auto put = call(session, Op::put, {{"key", "keys/00bb"}}, "hello");
  CHECK(code_of(put) == "internal");
  CHECK(error_of(put).message.find("keys/00bb") != std::string::npos);
  // The client is told whose failure it is: the data centre's storage.
  CHECK(error_of(put).message.find("the data centre's storage failed") != std::string::npos);
  CHECK(error_of(put).message.find("/srv/secret-dc") == std::string::npos);
  const auto get = call(session, Op::get, {{"key", "keys/00aa"}});
  CHECK(code_of(get) == "internal");
  CHECK(error_of(get).message.find("/srv/secret-dc") == std::string::npos);

  REQUIRE(log.size() == 2);
  CHECK(log[0].find(account.id) != std::string::npos);
  CHECK(log[0].find("keys/00bb") != std::string::npos);
  CHECK(log[0].find("/srv/secret-dc/store/accounts/x: I/O error") != std::string::npos);
  CHECK(log[1].find("keys/00aa") != std::string::npos);
  // Nothing of the failed put counts against the quota.
  disk.failing = false;
  CHECK(context.usage(account.id).bytes == 1);
  CHECK(context.usage(account.id).objects == 1);
}

TEST_SUITE_END();
