#include <doctest/doctest.h>

#include <string>

#include "server/store/s3_xml.hpp"

using namespace offsite::server;

namespace {

std::string listing(const std::string& body) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)" +
         body + "</ListBucketResult>";
}

} // namespace

TEST_SUITE_BEGIN("server::s3_xml");

TEST_CASE("given a truncated ListObjectsV2 page, then its keys, sizes and token are read") {
  const auto r = parse_list_objects_v2(listing(
      "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ABC/+=</NextContinuationToken>"
      "<Contents><Key>p/a</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
      "<ETag>&quot;0cc1&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>p/b&amp;c</Key><Size>18446744073709551615</Size></Contents>"));
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].key == "p/a");
  CHECK(r.objects[0].size == 5);
  CHECK(r.objects[1].key == "p/b&c"); // entities are the parser's business
  CHECK(r.objects[1].size == UINT64_MAX);
  CHECK(r.truncated);
  CHECK(r.next_continuation_token == "1ABC/+=");
}

TEST_CASE("given an empty last page, then it is not truncated and holds no object") {
  const auto r =
      parse_list_objects_v2(listing("<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"));
  CHECK(r.objects.empty());
  CHECK_FALSE(r.truncated);
}

TEST_CASE("given an empty but truncated page, then the token to continue is kept") {
  const auto r = parse_list_objects_v2(
      listing("<IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>"));
  CHECK(r.objects.empty());
  CHECK(r.truncated);
  CHECK(r.next_continuation_token == "t");
}

TEST_CASE("given malformed listings, then each is refused with what is wrong") {
  const auto refused = [](const std::string& xml, const std::string& why) {
    CAPTURE(xml);
    try {
      parse_list_objects_v2(xml);
      FAIL("accepted");
    } catch (const MalformedS3Reply& e) {
      CHECK(std::string(e.what()).find(why) != std::string::npos);
    }
  };
  refused("", "line");
  refused("<ListBucketResult><IsTruncated>false</IsTruncated>", "line"); // cut short
  refused("<html><body>gateway timeout</body></html>", "not <ListBucketResult>");
  refused(listing("<Contents><Key>a</Key><Size>5</Size></Contents>"), "no IsTruncated");
  refused(listing("<IsTruncated>maybe</IsTruncated>"), "neither true nor false");
  refused(listing("<IsTruncated>true</IsTruncated>"), "without NextContinuationToken");
  refused(listing("<IsTruncated>false</IsTruncated><Contents><Size>5</Size></Contents>"),
          "without Key or Size");
  refused(listing("<IsTruncated>false</IsTruncated><Contents><Key>a</Key></Contents>"),
          "without Key or Size");
  refused(
      listing("<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>-1</Size></Contents>"),
      "not a number");
  refused(
      listing("<IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>5x</Size></Contents>"),
      "not a number");
  refused(listing("<IsTruncated>false</IsTruncated><Contents><Key>" + std::string(5000, 'k') +
                  "</Key><Size>1</Size></Contents>"),
          "too long");
  refused(
      R"(<!DOCTYPE x [<!ENTITY a "aaaa">]><ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>)",
      "document type");
}

TEST_CASE("given S3 error bodies, then the Code is read, and anything else gives none") {
  CHECK(parse_s3_error_code(R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>)"
                            R"(<Message></Message><RequestId>tx1</RequestId></Error>)") ==
        "SlowDown");
  CHECK(parse_s3_error_code("").empty());
  CHECK(parse_s3_error_code("<html>502 Bad Gateway</html>").empty());
  CHECK(parse_s3_error_code("<Error><Code>Cut").empty());
  CHECK(parse_s3_error_code("<Other><Code>X</Code></Other>").empty());
}

TEST_SUITE_END();
