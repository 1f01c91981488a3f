#include <doctest/doctest.h>

#include <string>

#include <curl/curl.h>

#include "server/store/s3_failure.hpp"

using namespace offsite;
using namespace offsite::server;

TEST_SUITE_BEGIN("server::s3_failure");

TEST_CASE("given each kind of failed request, then the table sorts it and says whether to retry") {
  struct Row {
    int curl_code;
    long status;
    const char* s3_code;
    S3Failure want;
  };
  const Row rows[] = {
      {CURLE_COULDNT_CONNECT, 0, "", S3Failure::unreachable},
      {CURLE_OPERATION_TIMEDOUT, 0, "", S3Failure::unreachable}, // connect or stall timeout
      {CURLE_RECV_ERROR, 0, "", S3Failure::unreachable},         // reset
      {CURLE_SEND_ERROR, 0, "", S3Failure::unreachable},
      {CURLE_GOT_NOTHING, 0, "", S3Failure::unreachable},
      {CURLE_PARTIAL_FILE, 0, "", S3Failure::unreachable},
      {CURLE_WEIRD_SERVER_REPLY, 0, "", S3Failure::protocol},
      {0, 500, "InternalError", S3Failure::busy},
      {0, 502, "", S3Failure::busy},
      {0, 503, "SlowDown", S3Failure::busy},
      {0, 503, "", S3Failure::busy},
      {0, 400, "RequestTimeout", S3Failure::busy},
      {0, 429, "", S3Failure::busy},
      {0, 507, "", S3Failure::full},
      {0, 403, "QuotaExceeded", S3Failure::full}, // RGW's quota answer is a 403
      {0, 500, "InsufficientCapacity", S3Failure::full},
      {0, 403, "InvalidAccessKeyId", S3Failure::auth},
      {0, 403, "SignatureDoesNotMatch", S3Failure::auth},
      {0, 403, "AccessDenied", S3Failure::auth},
      {0, 403, "", S3Failure::auth}, // a HEAD's 403 has no body
      {0, 404, "NoSuchBucket", S3Failure::no_bucket},
      {0, 400, "XAmzContentSHA256Mismatch", S3Failure::protocol},
      {0, 400, "InvalidArgument", S3Failure::protocol},
      {0, 301, "", S3Failure::protocol},
      {0, 200, "", S3Failure::protocol}, // a status the operation did not expect
  };
  for (const Row& row : rows) {
    CAPTURE(row.curl_code);
    CAPTURE(row.status);
    CAPTURE(std::string(row.s3_code));
    const S3Failure got = classify_s3_failure(row.curl_code, row.status, row.s3_code);
    CHECK(s3_failure_name(got) == s3_failure_name(row.want));
    CHECK(is_retried(got) == (row.want == S3Failure::unreachable || row.want == S3Failure::busy));
  }
}

TEST_CASE("given each failure, then its Error has the client's code and names the storage and "
          "endpoint") {
  struct Row {
    S3Failure failure;
    Code code;
    const char* says;
  };
  const Row rows[] = {
      {S3Failure::unreachable, Code::generic, "did not answer"},
      {S3Failure::busy, Code::generic, "kept failing"},
      {S3Failure::auth, Code::generic, "refused our credentials"},
      {S3Failure::full, Code::no_space, "is full"},
      {S3Failure::no_bucket, Code::config, "does not exist"},
      {S3Failure::protocol, Code::generic, "reply we cannot use"},
  };
  for (const Row& row : rows) {
    CAPTURE(s3_failure_name(row.failure));
    const Error e = s3_error(row.failure, "http://127.0.0.1:7480", "bkt", "PUT of \"k\"",
                             "HTTP 503 SlowDown", 5);
    const std::string message = e.what();
    CHECK(e.code() == row.code);
    CHECK(message.find(row.says) != std::string::npos);
    CHECK(message.find("the data centre's storage (S3 at http://127.0.0.1:7480)") !=
          std::string::npos);
    CHECK_FALSE(e.hint().empty());
  }
  CHECK(std::string(s3_error(S3Failure::unreachable, "http://e", "b", "GET of \"k\"",
                             "Failed to connect", 5)
                        .what())
            .find("gave up after 5 attempts") != std::string::npos);
}

TEST_SUITE_END();
