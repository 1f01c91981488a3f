#include <doctest/doctest.h>

#include "server/store/s3_http.hpp"

using namespace offsite::server;

TEST_SUITE_BEGIN("server::s3_http");

TEST_CASE("given query values, then all but the unreserved characters are percent-encoded as "
          "SigV4 wants") {
  CHECK(s3_percent_encode("") == "");
  CHECK(s3_percent_encode("azAZ09-._~") == "azAZ09-._~");
  CHECK(s3_percent_encode("a/b") == "a%2Fb");
  CHECK(s3_percent_encode("1+2=3 &") == "1%2B2%3D3%20%26");
  CHECK(s3_percent_encode("\xc3\xa9") == "%C3%A9");
}

TEST_SUITE_END();
