#pragma once
// One signed S3 request, one attempt: builds the URL (path-style, the query
// sorted and percent-encoded, as curl's SigV4 does not canonicalise it),
// signs it with libcurl's CURLOPT_AWS_SIGV4, always sends
// x-amz-content-sha256 (SHA-256 of the body), and returns what came back.
// Retries, and what a status means, are the caller's (s3_store.cpp,
// s3_failure.hpp). Thread-safe: many threads may call perform() at once;
// each borrows a pooled handle whose connection is kept alive.
// Credentials go to curl and nowhere else (not into URLs, messages or logs).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/common/bytes.hpp"
#include "server/store/curl_pool.hpp"
#include "server/store/s3_store.hpp"

namespace offsite::server {

struct S3Request {
  const char* method = "GET"; // GET, HEAD, PUT, DELETE
  // "/BUCKET" or "/BUCKET/KEY"; only unreserved characters and '/', which the
  // caller guarantees (keys are validated, buckets checked on open).
  std::string path;
  std::vector<std::pair<std::string, std::string>> query; // raw; encoded and sorted here
  ByteView body;                                          // sent by PUT
  std::optional<std::string> range;                       // "bytes=A-B"
  bool if_none_match_any = false;                         // If-None-Match: * (create-only put)
  // The body's SHA-256 (hex) when the caller has it already, else computed
  // here. The store checks it against what arrives: tests give a wrong one
  // to see it reject a body changed in flight.
  std::optional<std::string> content_sha256;
};

struct S3Response {
  int curl_code = 0;      // CURLcode; 0 when an HTTP reply arrived
  std::string curl_error; // curl's message for curl_code (host and port, no credentials)
  long status = 0;
  Bytes body;
  std::optional<std::uint64_t> content_length; // from the headers (HEAD)
  // A kept-alive connection was given up and a new one made: curl then
  // sends the request again by itself if the old one died after taking it,
  // so a PUT may have landed once already (put decides a 412 by content).
  bool reconnected = false;
};

// "a b/c" -> "a%20b%2Fc": everything but A-Z a-z 0-9 - . _ ~ encoded, as SigV4 wants.
std::string s3_percent_encode(std::string_view raw);

class S3Http {
public:
  S3Http(std::string endpoint, const std::string& region, S3Credentials credentials,
         S3Tuning tuning);

  S3Response perform(const S3Request& request);

private:
  std::string m_endpoint; // no trailing '/'
  std::string m_sigv4;    // "aws:amz:REGION:s3"
  S3Credentials m_credentials;
  S3Tuning m_tuning;
  CurlPool m_pool;
};

} // namespace offsite::server
