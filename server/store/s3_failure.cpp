#include "server/store/s3_failure.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

namespace offsite::server {

namespace {

bool is_transport_failure(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_OPERATION_TIMEDOUT: // connect timeout and the stall limit
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SEND_FAIL_REWIND: return true;
  default: return false;
  }
}

} // namespace

S3Failure classify_s3_failure(int curl_code, long status, std::string_view s3_code) {
  if (curl_code != 0)
    return is_transport_failure(curl_code) ? S3Failure::unreachable : S3Failure::protocol;
  if (s3_code == "QuotaExceeded" || s3_code == "InsufficientCapacity" ||
      s3_code == "InsufficientStorage" || status == 507)
    return S3Failure::full;
  if (s3_code == "SlowDown" || s3_code == "RequestTimeout" || s3_code == "InternalError" ||
      s3_code == "ServiceUnavailable" || status == 429 || status >= 500)
    return S3Failure::busy;
  if (status == 401 || status == 403) return S3Failure::auth;
  if (status == 404 && s3_code == "NoSuchBucket") return S3Failure::no_bucket;
  return S3Failure::protocol;
}

bool is_retried(S3Failure failure) {
  return failure == S3Failure::unreachable || failure == S3Failure::busy;
}

std::string_view s3_failure_name(S3Failure failure) {
  switch (failure) {
  case S3Failure::unreachable: return "unreachable";
  case S3Failure::busy: return "busy";
  case S3Failure::auth: return "auth";
  case S3Failure::full: return "full";
  case S3Failure::no_bucket: return "no_bucket";
  case S3Failure::protocol: return "protocol";
  }
  return "protocol";
}

Error s3_error(S3Failure failure, std::string_view endpoint, std::string_view bucket,
               std::string_view what, std::string_view detail, int attempts) {
  const std::string storage = fmt::format("the data centre's storage (S3 at {})", endpoint);
  const std::string tries =
      attempts > 1 ? fmt::format(" (gave up after {} attempts)", attempts) : std::string();
  switch (failure) {
  case S3Failure::unreachable:
    return Error(Code::generic,
                 fmt::format("{} did not answer {}: {}{}", storage, what, detail, tries),
                 "check that the object store (radosgw) is running and reachable from this "
                 "server; requests are retried, so this is not a blip");
  case S3Failure::busy:
    return Error(Code::generic,
                 fmt::format("{} kept failing {}: {}{}", storage, what, detail, tries),
                 "the object store is overloaded or failing; see its logs");
  case S3Failure::auth:
    return Error(Code::generic,
                 fmt::format("{} refused our credentials for {}: {}", storage, what, detail),
                 "check the S3 access key and secret (the credentials file or "
                 "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and the user's rights on the bucket");
  case S3Failure::full:
    return Error(Code::no_space,
                 fmt::format("{} is full: {} refused with {}", storage, what, detail),
                 "raise the bucket's or user's quota, or add capacity to the store");
  case S3Failure::no_bucket:
    return Error(Code::config,
                 fmt::format("the bucket \"{}\" does not exist in {}", bucket, storage),
                 "create it, or let \"offsited init --store s3://BUCKET\" create it");
  case S3Failure::protocol: break;
  }
  return Error(Code::generic,
               fmt::format("{} sent a reply we cannot use for {}: {}", storage, what, detail),
               "check that the endpoint is an S3 service (RADOS Gateway) and see its logs");
}

} // namespace offsite::server
