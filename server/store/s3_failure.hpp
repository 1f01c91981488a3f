#pragma once
// How the S3 store sorts a failed request (the retry and error policy in one
// table): which failures are retried, and which Error each becomes. Pure
// functions, so the table is unit-tested without a store.
//
// Error codes (the ones the client already knows):
// - full: Code::no_space (RGW's QuotaExceeded, 507, InsufficientCapacity);
// - no_bucket: Code::config (the operator names a bucket that is not there);
// - unreachable, busy, auth, protocol: Code::generic, each with its own
//   message. Refused credentials are generic too, not config: the error may
//   travel to a client, for whom "config" means its own configuration.
// Messages name "the data centre's storage" and the endpoint, never a
// credential (the caller passes only the endpoint, which open_s3_store
// refuses if it holds user information).

#include <string>
#include <string_view>

#include "core/common/error.hpp"

namespace offsite::server {

enum class S3Failure {
  unreachable, // no HTTP reply: refused, reset, timed out, stalled (retried)
  busy,        // 5xx, 429, SlowDown, RequestTimeout (retried)
  auth,        // 401/403: keys unknown, signature refused, access denied
  full,        // quota or capacity exhausted
  no_bucket,   // 404 NoSuchBucket
  protocol,    // a reply that makes no sense for the request (incl. a 400)
};

// curl_code: the CURLcode of the attempt (0 when an HTTP reply arrived);
// status and s3_code (the <Code> of an S3 error body, may be empty) are the
// reply's. Call it only for replies the operation did not expect.
S3Failure classify_s3_failure(int curl_code, long status, std::string_view s3_code);

bool is_retried(S3Failure failure);

std::string_view s3_failure_name(S3Failure failure);

// The Error a failure becomes. `what` is the request ("PUT of \"data/ab\""),
// `detail` the reply ("HTTP 403 SignatureDoesNotMatch") or curl's message,
// `attempts` how many were made.
Error s3_error(S3Failure failure, std::string_view endpoint, std::string_view bucket,
               std::string_view what, std::string_view detail, int attempts);

} // namespace offsite::server
