// What only the S3 store has, on the real Ceph cluster of the CTest fixture
// `ceph`: signed payloads, its location checks, its prefix, and the errors
// it throws when the store refuses us or is gone (never with a credential).
// The Store contract itself is test_server_store_conformance.cpp.

#include <doctest/doctest.h>

#include <string>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/store/store.hpp"
#include "server/store/s3_failure.hpp"
#include "server/store/s3_object_store.hpp"
#include "server/store/s3_xml.hpp"
#include "tests/unit/server/store/s3_test_cluster.hpp"

using namespace offsite;
using namespace offsite::server;

namespace {

// Runs `call`, which must throw Error; returns it.
template <typename F> Error thrown(F&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no Error thrown");
  return Error(Code::generic, "");
}

void check_no_secret(const Error& e, const S3Credentials& credentials) {
  const std::string all = std::string(e.what()) + "\n" + e.hint();
  CHECK(all.find(credentials.secret_access_key) == std::string::npos);
  CHECK(all.find(credentials.access_key_id) == std::string::npos);
}

} // namespace

TEST_SUITE_BEGIN("server::S3ObjectStore");

TEST_CASE("given a body whose x-amz-content-sha256 does not match, then the store rejects it "
          "and it is classified as a protocol failure") {
  auto cluster = test::s3_test_cluster();
  S3ObjectStore store(cluster.location, cluster.credentials, {});
  S3Request request;
  request.method = "PUT";
  request.path = store.object_path("data/changed");
  request.body = as_bytes("the bytes that arrive");
  request.content_sha256 = to_hex(core::crypto::sha256(as_bytes("the bytes we signed")));
  const S3Response response = store.http().perform(request);
  CHECK(response.curl_code == 0);
  CHECK(response.status == 400);
  const std::string code = parse_s3_error_code(as_string(response.body));
  CHECK(code == "XAmzContentSHA256Mismatch");
  CHECK(classify_s3_failure(0, response.status, code) == S3Failure::protocol);
  const Error e = thrown([&] { store.fail(response, "PUT of \"data/changed\"", 1); });
  CHECK(e.code() == Code::generic);
  CHECK(std::string(e.what()).find("sent a reply we cannot use for PUT of \"data/changed\": "
                                   "HTTP 400 XAmzContentSHA256Mismatch") != std::string::npos);
  CHECK_FALSE(store.head("data/changed")); // nothing was stored

  request.content_sha256.reset(); // the same request, honestly signed
  CHECK(store.http().perform(request).status == 200);
  CHECK(store.head("data/changed") == request.body.size());
}

TEST_CASE("given the payload's digest from the caller, when put through a prefix, then it signs "
          "the body with it, and a wrong digest is refused and stores nothing") {
  auto cluster = test::s3_test_cluster();
  S3ObjectStore store(cluster.location, cluster.credentials, {});
  core::PrefixStore account(store, "accounts/a1/repo/");
  const std::string_view text = "a pack's bytes";
  const Bytes body(text.begin(), text.end());
  const std::string right = to_hex(core::crypto::sha256(body));
  const std::string wrong = to_hex(core::crypto::sha256(as_bytes("other bytes")));

  const Error e = thrown([&] { account.put_with_sha256("data/wrong", body, wrong); });
  CHECK(std::string(e.what()).find("XAmzContentSHA256Mismatch") != std::string::npos);
  CHECK_FALSE(store.head("accounts/a1/repo/data/wrong"));

  CHECK(account.put_with_sha256("data/right", body, right));
  CHECK(store.get("accounts/a1/repo/data/right", 0, std::nullopt) == body);
  CHECK_FALSE(account.put_with_sha256("data/right", body, right)); // create-only still
}

TEST_CASE("given a location prefix, then keys are stored below it and listed without it") {
  auto cluster = test::s3_test_cluster();
  S3ObjectStore prefixed(cluster.location, cluster.credentials, {});
  S3Location whole = cluster.location;
  whole.prefix = "";
  S3ObjectStore bucket(whole, cluster.credentials, {});
  REQUIRE(prefixed.put("config", as_bytes("c")));
  CHECK(bucket.head(cluster.location.prefix + "config") == 1u);
  const auto page = prefixed.list("", "", 10);
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].key == "config");
  CHECK(bucket.list(cluster.location.prefix, "", 10).objects.at(0).key ==
        cluster.location.prefix + "config");
}

TEST_CASE("given wrong credentials, then every request fails as refused credentials, naming the "
          "storage but no key") {
  auto cluster = test::s3_test_cluster();
  S3Credentials wrong = cluster.credentials;
  wrong.secret_access_key = "not-the-secret-" + wrong.secret_access_key;
  S3ObjectStore store(cluster.location, wrong, {});
  const Error e = thrown([&] { store.put("k", as_bytes("x")); });
  CHECK(e.code() == Code::generic);
  CHECK(std::string(e.what()).find("refused our credentials") != std::string::npos);
  CHECK(std::string(e.what()).find("SignatureDoesNotMatch") != std::string::npos);
  CHECK(std::string(e.what()).find(cluster.location.endpoint) != std::string::npos);
  check_no_secret(e, wrong);
  check_no_secret(e, cluster.credentials);

  S3Credentials unknown{"NOSUCHKEY0000000", "x"};
  const Error e2 = thrown([&] { store.list("", "", 1); });
  check_no_secret(e2, wrong);
  const Error e3 = thrown([&] { S3ObjectStore(cluster.location, unknown, {}).list("", "", 1); });
  CHECK(std::string(e3.what()).find("InvalidAccessKeyId") != std::string::npos);
}

TEST_CASE("given an endpoint nobody listens on, then requests are retried a bounded number of "
          "times and fail naming the data centre's storage") {
  auto cluster = test::s3_test_cluster();
  S3Location gone = cluster.location;
  gone.endpoint = "http://127.0.0.1:1"; // a closed port: refused at once
  S3Tuning tuning;
  tuning.max_attempts = 3;
  S3ObjectStore store(gone, cluster.credentials, tuning);
  const Error e = thrown([&] { store.get("k", 0, std::nullopt); });
  CHECK(e.code() == Code::generic);
  const std::string message = e.what();
  CAPTURE(message);
  CHECK(message.find("the data centre's storage (S3 at http://127.0.0.1:1) did not answer GET of "
                     "\"k\"") != std::string::npos);
  CHECK(message.find("gave up after 3 attempts") != std::string::npos);
  check_no_secret(e, cluster.credentials);
}

TEST_CASE("given an endpoint that takes the request and never answers, then the stall limit "
          "ends each attempt and the store gives up with a clear error") {
  // A listener nobody accepts from: the kernel completes the handshake, the
  // request is sent, and no byte ever comes back.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 16) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  S3Location silent{"http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), "bucket", "",
                    "us-east-1"};
  S3Tuning tuning;
  tuning.stall_timeout = std::chrono::milliseconds(1000);
  tuning.max_attempts = 2;
  const S3Credentials keys{"AKIDSTALL", "stall-secret"};
  S3ObjectStore store(silent, keys, tuning);
  const Error e = thrown([&] { store.head("k"); });
  ::close(listener);
  CHECK(e.code() == Code::generic);
  CAPTURE(std::string(e.what()));
  CHECK(std::string(e.what()).find("did not answer HEAD of \"k\"") != std::string::npos);
  CHECK(std::string(e.what()).find("gave up after 2 attempts") != std::string::npos);
  check_no_secret(e, keys);
}

TEST_CASE("given a bucket that does not exist, then requests fail as configuration, and "
          "create_bucket_if_missing creates it once") {
  auto cluster = test::s3_test_cluster();
  S3Location location = cluster.location;
  location.bucket = "offsite-missing-" + to_hex(core::crypto::random_bytes(4));
  S3ObjectStore store(location, cluster.credentials, {});
  const Error e = thrown([&] { store.put("k", as_bytes("x")); });
  CHECK(e.code() == Code::config);
  CHECK(std::string(e.what()).find("the bucket \"" + location.bucket + "\" does not exist") !=
        std::string::npos);
  CHECK(thrown([&] { store.list("", "", 1); }).code() == Code::config);
  CHECK(thrown([&] { store.get("k", 0, std::nullopt); }).code() == Code::config);

  CHECK(create_bucket_if_missing(location, cluster.credentials));
  CHECK_FALSE(create_bucket_if_missing(location, cluster.credentials));
  CHECK(store.put("k", as_bytes("x")));
}

TEST_CASE("given malformed locations or no keys, then opening the store is a configuration "
          "error that never echoes a credential") {
  const S3Credentials keys{"AKID", "s3cr3t"};
  const auto refused = [&](S3Location location, const std::string& says,
                           const S3Credentials& credentials) {
    CAPTURE(location.endpoint);
    const Error e = thrown([&] { open_s3_store(location, credentials); });
    CHECK(e.code() == Code::config);
    CHECK(std::string(e.what()).find(says) != std::string::npos);
    CHECK(std::string(e.what()).find("s3cr3t") == std::string::npos);
  };
  const S3Location good{"http://127.0.0.1:7480", "bucket", "a/b/", "us-east-1"};
  CHECK(open_s3_store(good, keys) != nullptr); // no request is sent
  S3Location l = good;
  l.endpoint = "ftp://h";
  refused(l, "must start with http:// or https://", keys);
  l.endpoint = "http://user:s3cr3t@127.0.0.1:7480";
  refused(l, "must not hold a user name or password", keys);
  l.endpoint = "http://127.0.0.1:7480/bucket";
  refused(l, "scheme, host and port only", keys);
  l = good;
  l.bucket = "Bad_Bucket";
  refused(l, "is not an S3 bucket name", keys);
  l = good;
  l.prefix = "a/b";
  refused(l, "is not a key followed by '/'", keys);
  l.prefix = "../";
  refused(l, "is not a key followed by '/'", keys);
  l = good;
  l.region = "";
  refused(l, "is not an S3 region name", keys);
  refused(good, "no S3 credentials", S3Credentials{"AKID", ""});
}

TEST_SUITE_END();
