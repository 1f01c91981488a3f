#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "core/common/error.hpp"
#include "server/store/store_location.hpp"

using offsite::Code;
using offsite::Error;
using offsite::server::parse_s3_endpoint;
using offsite::server::parse_s3_region;
using offsite::server::parse_s3_url;
using offsite::server::parse_store_location;
using offsite::server::S3Flags;
using offsite::server::StoreLocation;

namespace {

// The usage error's message, or "" when nothing was thrown.
template <typename F> std::string usage_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.code() == Code::usage);
    CHECK_FALSE(e.hint().empty());
    return e.what();
  }
  return {};
}

S3Flags endpoint_only() { return {"http://127.0.0.1:7480", std::nullopt, std::nullopt}; }

} // namespace

TEST_SUITE_BEGIN("server::StoreLocation");

TEST_CASE("given s3://bucket, then the bucket is taken and the prefix is empty") {
  const auto location = parse_s3_url("s3://offsite");
  CHECK(location.bucket == "offsite");
  CHECK(location.prefix.empty());
  CHECK(parse_s3_url("s3://offsite/").prefix.empty());
}

TEST_CASE("given s3://bucket/a/b, then the prefix is a/b/ with or without a trailing slash") {
  CHECK(parse_s3_url("s3://offsite/a/b").prefix == "a/b/");
  CHECK(parse_s3_url("s3://offsite/a/b/").prefix == "a/b/");
  CHECK(parse_s3_url("s3://my.bucket-1/dc_1").bucket == "my.bucket-1");
}

TEST_CASE("given a bad bucket or prefix, then a usage error says what is wrong") {
  CHECK(usage_error([] { parse_s3_url("s3://"); }).find("the bucket name is empty") !=
        std::string::npos);
  CHECK(usage_error([] { parse_s3_url("s3:///prefix"); }).find("empty") != std::string::npos);
  CHECK(usage_error([] { parse_s3_url("s3://ab"); }).find("3 to 63") != std::string::npos);
  CHECK(usage_error([] { parse_s3_url("s3://Offsite"); }).find("lower-case") != std::string::npos);
  CHECK(usage_error([] { parse_s3_url("s3://-offsite"); }).find("starts and ends") !=
        std::string::npos);
  CHECK(usage_error([] { parse_s3_url("s3://off..site"); }).find("..") != std::string::npos);
  for (const char* url : {"s3://offsite/a//b", "s3://offsite/../b", "s3://offsite/a b",
                          "s3://offsite/./a", "s3://offsite//"})
    CHECK_MESSAGE(usage_error([&] { parse_s3_url(url); }).find("prefix") != std::string::npos, url);
}

TEST_CASE("given keys in an s3:// URL, then it is refused without echoing them") {
  const auto message = usage_error([] { parse_s3_url("s3://AKIA:s3cr3t@offsite"); });
  CHECK(message.find("'@'") != std::string::npos);
  CHECK(message.find("s3cr3t") == std::string::npos);
  const auto endpoint = usage_error([] { parse_s3_endpoint("http://AKIA:s3cr3t@gw:7480"); });
  CHECK(endpoint.find("s3cr3t") == std::string::npos);
}

TEST_CASE("given an endpoint URL, then http(s)://HOST[:PORT] is accepted, a trailing / dropped") {
  CHECK(parse_s3_endpoint("http://127.0.0.1:7480") == "http://127.0.0.1:7480");
  CHECK(parse_s3_endpoint("http://127.0.0.1:7480/") == "http://127.0.0.1:7480");
  CHECK(parse_s3_endpoint("https://rgw.example.net") == "https://rgw.example.net");
  CHECK(parse_s3_endpoint("http://[::1]:7480") == "http://[::1]:7480");
}

TEST_CASE("given a bad endpoint URL, then a usage error names the flag and the problem") {
  for (const auto& [url_text, problem] :
       {std::pair{"127.0.0.1:7480", "not an http:// or https:// URL"},
        std::pair{"ftp://gw", "not an http:// or https:// URL"}, std::pair{"http://", "no host"},
        std::pair{"http://:7480", "no host"}, std::pair{"http://gw:0", "port"},
        std::pair{"http://gw:65536", "port"}, std::pair{"http://gw:", "port"},
        std::pair{"http://gw:74x", "port"}, std::pair{"http://gw/bucket", "path"},
        std::pair{"http://gw?x=1", "query"}, std::pair{"http://g_w", "host"},
        std::pair{"http://::1:7480", "IPv6"}, std::pair{"http://[::1", "[address]"}}) {
    // clang 14 cannot capture a structured binding in a lambda.
    const std::string url = url_text;
    const auto message = usage_error([&] { parse_s3_endpoint(url); });
    CHECK_MESSAGE(message.find("--s3-endpoint") != std::string::npos, std::string(url));
    CHECK_MESSAGE(message.find(problem) != std::string::npos,
                  (std::string(url) + " -> " + message));
  }
}

TEST_CASE("given a region, then letters, digits, _ and - are accepted and nothing else") {
  CHECK(parse_s3_region("us-east-1") == "us-east-1");
  CHECK(parse_s3_region("default") == "default");
  CHECK(usage_error([] { parse_s3_region(""); }).find("--s3-region") != std::string::npos);
  CHECK(usage_error([] { parse_s3_region("us east"); }).find("--s3-region") != std::string::npos);
}

TEST_CASE("given no --store, then the data directory's store is used and S3 flags are refused") {
  CHECK(parse_store_location(std::nullopt, {}).kind == StoreLocation::Kind::data_dir);
  CHECK(usage_error([] {
          parse_store_location(std::nullopt, endpoint_only());
        }).find("--s3-endpoint is only for an S3 store") != std::string::npos);
  CHECK(usage_error([] {
          parse_store_location(std::nullopt, {std::nullopt, std::nullopt, "/etc/cred"});
        }).find("--s3-credentials-file") != std::string::npos);
}

TEST_CASE("given s3:// with its flags, then they are checked together") {
  const auto location = parse_store_location(
      "s3://offsite/dc1", {"http://127.0.0.1:7480/", "default", "relative/cred"});
  CHECK(location.kind == StoreLocation::Kind::s3);
  CHECK(location.s3.endpoint == "http://127.0.0.1:7480");
  CHECK(location.s3.bucket == "offsite");
  CHECK(location.s3.prefix == "dc1/");
  CHECK(location.s3.region == "default");
  // Made absolute: serve may run in another directory than init did.
  CHECK(location.credentials_file == std::filesystem::current_path() / "relative/cred");
  CHECK(parse_store_location("s3://offsite", endpoint_only()).s3.region == "us-east-1");
  CHECK(parse_store_location("s3://offsite", endpoint_only()).credentials_file.empty());
  CHECK(usage_error([] { parse_store_location("s3://offsite", {}); }).find("needs --s3-endpoint") !=
        std::string::npos);
}

TEST_CASE("given file:///PATH, then it is a directory store and relative paths or S3 flags "
          "are refused") {
  const auto location = parse_store_location("file:///srv/x/../store", {});
  CHECK(location.kind == StoreLocation::Kind::directory);
  CHECK(location.directory == "/srv/store");
  CHECK(usage_error([] { parse_store_location("file://srv/store", {}); }).find("absolute") !=
        std::string::npos);
  CHECK(usage_error([] {
          parse_store_location("file:///srv/store", endpoint_only());
        }).find("not a file:// one") != std::string::npos);
}

TEST_CASE("given an unknown scheme, then the error lists the kinds of store") {
  for (const char* url : {"ftp://x", "/srv/store", "S3://offsite", ""}) {
    const auto message = usage_error([&] { parse_store_location(std::string(url), {}); });
    CHECK_MESSAGE(message.find("unknown kind of store") != std::string::npos, std::string(url));
  }
}

TEST_CASE("given two locations, then same_store compares where the objects are, not how to "
          "sign in") {
  auto a = parse_store_location("s3://offsite/dc1", endpoint_only());
  auto b = parse_store_location("s3://offsite/dc1/", {"http://127.0.0.1:7480", "eu", "/c"});
  CHECK(a.same_store(b));
  CHECK_FALSE(a.same_store(parse_store_location("s3://offsite/dc2", endpoint_only())));
  CHECK_FALSE(a.same_store(
      parse_store_location("s3://offsite/dc1", {"http://gw:7480", std::nullopt, std::nullopt})));
  CHECK_FALSE(a.same_store(StoreLocation{}));
  CHECK(StoreLocation{}.same_store(StoreLocation{}));
  CHECK_FALSE(
      parse_store_location("file:///a", {}).same_store(parse_store_location("file:///b", {})));
}

TEST_CASE("given a location, then describe names it without a credential") {
  CHECK(describe(parse_store_location("s3://offsite/dc1",
                                      {"http://gw:7480", std::nullopt, "/etc/offsite/cred"}),
                 "/srv/offsite") == "s3://offsite/dc1 at http://gw:7480");
  CHECK(describe(StoreLocation{}, "/srv/offsite") == "/srv/offsite/store");
  CHECK(describe(parse_store_location("file:///srv/shared", {}), "/d") == "file:///srv/shared");
}
