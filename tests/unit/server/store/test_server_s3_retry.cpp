// The S3 store's retries and failure mapping against a scripted loopback
// server (what a healthy Ceph never does on demand): lost replies, 5xx,
// SlowDown, a full store, a reply that is not S3.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/common/error.hpp"
#include "server/store/s3_object_store.hpp"
#include "tests/unit/server/store/scripted_http_server.hpp"

using namespace offsite;
using namespace offsite::server;
using test::http_reply;
using Requests = std::vector<std::string>;

namespace {

const S3Credentials k_keys{"AKIDRETRY", "retry-secret"};

S3ObjectStore store_at(const test::ScriptedHttpServer& server, int attempts = 4) {
  S3Tuning tuning;
  tuning.max_attempts = attempts;
  return S3ObjectStore({server.endpoint(), "bkt", "", "us-east-1"}, k_keys, tuning);
}

std::string s3_error_body(const std::string& code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code></Error>";
}

template <typename F> Error thrown(F&& call) {
  try {
    call();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no Error thrown");
  return Error(Code::generic, "");
}

} // namespace

TEST_SUITE_BEGIN("server::S3ObjectStore retries");

TEST_CASE("given a put whose reply is lost, when the retry meets 412, then our own bytes read "
          "back count as created") {
  test::ScriptedHttpServer server(
      {"", http_reply("412 Precondition Failed"), http_reply("200 OK", "mine")});
  auto store = store_at(server);
  CHECK(store.put("k", as_bytes("mine")));
  CHECK(server.requests() == Requests{"PUT /bkt/k", "PUT /bkt/k", "GET /bkt/k"});
}

TEST_CASE("given a put whose reply is lost, when the retry meets 412 and other bytes, then the "
          "put returns false") {
  test::ScriptedHttpServer server(
      {"", http_reply("412 Precondition Failed"), http_reply("200 OK", "othr")});
  auto store = store_at(server);
  CHECK_FALSE(store.put("k", as_bytes("mine")));
}

TEST_CASE("given a kept-alive connection that dies under a put, when curl resends it by itself "
          "and meets 412, then the content decides too") {
  // The first request leaves a kept-alive connection; the put on it gets no
  // reply, and curl (not our retry loop) sends it again on a new one.
  test::ScriptedHttpServer server({http_reply("404 Not Found"), "",
                                   http_reply("412 Precondition Failed"),
                                   http_reply("200 OK", "mine")});
  auto store = store_at(server);
  CHECK_FALSE(store.head("warm"));
  CHECK(store.put("k", as_bytes("mine")));
  CHECK(server.requests() == Requests{"HEAD /bkt/warm", "PUT /bkt/k", "PUT /bkt/k", "GET /bkt/k"});
}

TEST_CASE("given a plain 412 with no attempt lost, then put returns false without reading back") {
  test::ScriptedHttpServer server({http_reply("412 Precondition Failed")});
  auto store = store_at(server);
  CHECK_FALSE(store.put("k", as_bytes("mine")));
  CHECK(server.requests() == Requests{"PUT /bkt/k"});
}

TEST_CASE("given SlowDown and a 500, then the request is retried until it succeeds") {
  test::ScriptedHttpServer server({http_reply("503 Service Unavailable", s3_error_body("SlowDown")),
                                   http_reply("500 Internal Server Error"),
                                   http_reply("200 OK", "data")});
  auto store = store_at(server);
  const auto got = store.get("k", 0, std::nullopt);
  REQUIRE(got);
  CHECK(as_string(*got) == "data");
  CHECK(server.requests().size() == 3);
}

TEST_CASE("given a store failing every attempt, then it gives up after max_attempts, naming the "
          "storage and no key") {
  test::ScriptedHttpServer server(std::vector<std::string>(10, http_reply("502 Bad Gateway")));
  auto store = store_at(server, 3);
  const Error e = thrown([&] { store.head("k"); });
  CHECK(e.code() == Code::generic);
  const std::string message = e.what();
  CAPTURE(message);
  CHECK(message.find("the data centre's storage (S3 at " + server.endpoint() +
                     ") kept failing HEAD of \"k\": HTTP 502 (gave up after 3 attempts)") !=
        std::string::npos);
  CHECK(message.find(k_keys.secret_access_key) == std::string::npos);
  CHECK(message.find(k_keys.access_key_id) == std::string::npos);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("given a full store, then the put fails at once with no_space") {
  for (const auto& reply : {http_reply("507 Insufficient Storage"),
                            http_reply("403 Forbidden", s3_error_body("QuotaExceeded"))}) {
    test::ScriptedHttpServer server({reply});
    auto store = store_at(server);
    const Error e = thrown([&] { store.put("k", as_bytes("x")); });
    CHECK(e.code() == Code::no_space);
    CHECK(std::string(e.what()).find("is full") != std::string::npos);
    CHECK(server.requests().size() == 1); // not retried
  }
}

TEST_CASE("given a listing that is not XML, then the list fails as a protocol error") {
  test::ScriptedHttpServer server({http_reply("200 OK", "<html>proxy error</html>")});
  auto store = store_at(server);
  const Error e = thrown([&] { store.list("", "", 10); });
  CHECK(e.code() == Code::generic);
  CHECK(std::string(e.what()).find("sent a reply we cannot use for LIST") != std::string::npos);
  CHECK(std::string(e.what()).find("not <ListBucketResult>") != std::string::npos);
}

TEST_SUITE_END();
