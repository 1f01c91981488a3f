#include <doctest/doctest.h>

#include <string>

#include "core/common/error.hpp"
#include "core/store/local_store.hpp"
#include "server/store/datacentre_record.hpp"
#include "tests/unit/temp_dir.hpp"

using offsite::Code;
using offsite::Error;
using offsite::core::LocalStore;
using offsite::server::identity_mismatch;
using offsite::server::k_fingerprint_key;
using offsite::server::record_fingerprint;
using offsite::server::recorded_fingerprint;
using offsite::test::TempDir;

namespace {
constexpr const char* k_ours =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* k_theirs =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
} // namespace

TEST_SUITE_BEGIN("server::DatacentreRecord");

TEST_CASE("given an empty store, when a fingerprint is recorded, then the first one stays") {
  TempDir dir;
  LocalStore store(dir / "store");
  CHECK_FALSE(recorded_fingerprint(store));
  CHECK(record_fingerprint(store, k_ours) == k_ours);
  CHECK(recorded_fingerprint(store) == k_ours);
  // A second front-end with another identity learns the recorded one.
  CHECK(record_fingerprint(store, k_theirs) == k_ours);
  const auto bytes = static_cast<offsite::core::Store&>(store).get(k_fingerprint_key);
  REQUIRE(bytes);
  CHECK(std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()) ==
        std::string(k_ours) + "\n");
}

TEST_CASE("given a record that is no fingerprint, then reading it is an integrity error") {
  TempDir dir;
  LocalStore store(dir / "store");
  store.put(k_fingerprint_key, offsite::as_bytes("sha256:xyz\n"));
  CHECK_THROWS_AS(recorded_fingerprint(store), Error);
  try {
    recorded_fingerprint(store);
  } catch (const Error& e) {
    CHECK(e.code() == Code::integrity);
  }
}

TEST_CASE("given two fingerprints, then the mismatch error names both, the store and a copy "
          "command") {
  const auto e = identity_mismatch(k_ours, k_theirs, "s3://offsite at http://gw", "/srv/b");
  CHECK(e.code() == Code::config);
  const std::string message = e.what();
  CHECK(message.find(k_ours) != std::string::npos);
  CHECK(message.find(k_theirs) != std::string::npos);
  CHECK(message.find("s3://offsite at http://gw") != std::string::npos);
  CHECK(e.hint().find("scp -rp FRONT-END:DIR/identity /srv/b/") != std::string::npos);
}

TEST_CASE("given the record's key, then no account or client object can have it") {
  // Clients reach only accounts/<id>/...; the registry keeps accounts/,
  // invites/ and invites-used/.
  for (const char* prefix : {"accounts/", "invites/", "invites-used/"})
    CHECK_FALSE(k_fingerprint_key.starts_with(prefix));
}
