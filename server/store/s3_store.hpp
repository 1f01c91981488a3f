#pragma once
// core::Store on an S3-compatible object store (Ceph's RADOS Gateway in our
// data centres), so that every offsited becomes a stateless front-end of one
// distributed store. HTTP lives here, on the server's side of the tree: core
// and transport never see it. Built on libcurl's own SigV4 signing
// (CURLOPT_AWS_SIGV4) and a real XML parser for ListObjectsV2 replies.
//
// Contract (the same as core::Store; a conformance suite runs both):
// - put is create-only (If-None-Match: *). A 412 means the key exists; a
//   retried put that finds its own bytes under the key counts as created
//   (decided by reading them back, never guessed).
// - get of a range at or past the end is an empty read, not an error.
// - list follows the store's own continuation and never stops on an empty
//   page; keys come back sorted.
// - Payloads are signed (x-amz-content-sha256), so a body changed in flight
//   is rejected by the store.
// Failures throw Error with the code the client already knows: a full store
// is Code::no_space; unreachable, refused credentials and protocol breakage
// are Code::generic with a message naming the data centre's storage (never
// a credential); a bucket that does not exist is Code::config. Transient
// failures (5xx, SlowDown, resets) are retried with bounded back-off first
// (the table: s3_failure.hpp; the class and its caveats: s3_object_store.hpp).

#include <chrono>
#include <memory>
#include <string>

#include "core/store/store.hpp"

namespace offsite::server {

// Where the objects live: s3://BUCKET[/PREFIX] at an endpoint.
struct S3Location {
  std::string endpoint; // "http://127.0.0.1:7480" (path-style addressing)
  std::string bucket;
  std::string prefix; // "" or "a/b/" (ends with '/'): keys are stored below it
  std::string region = "us-east-1";
};

// Never logged, never in argv or an error message.
struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
};

// Every request is answered within retry_budget, even by a store that hangs
// (radosgw stopped, a network that drops packets): the client waits 30 s
// for a reply on its data connection and 15 s on its lease connection, and
// a reply that names the storage is worth more than a client timeout that
// blames the front-end.
struct S3Tuning {
  std::chrono::milliseconds connect_timeout{5000};
  // A transfer that moves no byte for this long is abandoned (and retried).
  std::chrono::milliseconds stall_timeout{6000};
  int max_attempts = 5; // per request, back-off between attempts
  // No attempt starts that could end later than this after the first one
  // (counting a whole stall_timeout for it), whatever max_attempts says.
  std::chrono::milliseconds retry_budget{14000};
};

// Opens the store (no request is sent yet). Throws Error(Code::config) for a
// malformed location.
std::unique_ptr<core::Store> open_s3_store(const S3Location& location,
                                           const S3Credentials& credentials,
                                           const S3Tuning& tuning = {});

// Creates the location's bucket unless the credentials' user owns it already
// (for `offsited init --store`): true when it was created. Throws Error
// (Code::config) when the bucket belongs to someone else, and the errors of
// the store's requests otherwise.
bool create_bucket_if_missing(const S3Location& location, const S3Credentials& credentials,
                              const S3Tuning& tuning = {});

} // namespace offsite::server
