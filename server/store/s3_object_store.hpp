#pragma once
// The S3 store's class (open_s3_store in s3_store.hpp is how the server gets
// one). Exposed for its tests: they reach the retry path of put and send
// raw requests through the same HTTP helper.
//
// Thread-safe: every method may be called from many threads at once; each
// request borrows a pooled connection. Every request to S3 ends within about
// S3Tuning::retry_budget (put's read-back and get_in_pieces make several).
//
// put() meets 412 when the key exists; if an earlier attempt of the same put
// may have landed (our retry after a lost reply, or curl's own resend on a
// new connection), it reads the object back: our bytes there count as
// created, so an identical object a racer stored counts as ours too.
//
// remove() cannot be exact on S3 (DELETE answers 204 whether or not the key
// was there): it asks HEAD first, so two removes racing on one key may both
// return true. Callers that count removed objects (quota) must allow for it.
// head() cannot tell a missing bucket from a missing key (a HEAD reply has no
// body); put, get and list report a missing bucket as Code::config.

#include <string>

#include "server/store/s3_http.hpp"
#include "server/store/s3_store.hpp"

namespace offsite::server {

struct S3Response;

class S3ObjectStore final : public core::Store {
public:
  // Throws Error(Code::config) for a malformed location or empty credentials.
  S3ObjectStore(const S3Location& location, const S3Credentials& credentials,
                const S3Tuning& tuning);

  bool put(std::string_view key, ByteView data) override;
  // The digest is sent as the payload's signed hash, not computed again.
  bool put_with_sha256(std::string_view key, ByteView data, std::string_view sha256_hex) override;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override;
  std::optional<std::uint64_t> head(std::string_view key) override;
  core::ListPage list(std::string_view prefix, std::string_view start_after,
                      std::size_t limit) override;
  bool remove(std::string_view key) override;

  // put as its retry does it after an attempt whose reply was lost: a 412
  // is then decided by reading the object back and comparing content.
  bool put_after_lost_reply(std::string_view key, ByteView data);

  // PUT /BUCKET: true when created, false when we own it already.
  bool create_bucket();

  // The request helper itself, and the outcome of one request as the store
  // sorts it (tests: a payload whose hash does not match).
  S3Http& http() { return m_http; }
  std::string object_path(std::string_view key) const;
  // Throws the Error the store would throw for this reply to `what`.
  [[noreturn]] void fail(const S3Response& response, std::string_view what, int attempts) const;

private:
  S3Response call(const S3Request& request, std::string_view what,
                  std::initializer_list<long> expected, bool* failed_before = nullptr);
  // sha256_hex: the payload's digest when the caller knows it, else empty.
  bool put_impl(std::string_view key, ByteView data, bool failed_before,
                std::string_view sha256_hex = {});

  S3Location m_location;
  S3Tuning m_tuning;
  S3Http m_http;
};

// The checks open_s3_store makes (Error(Code::config) with what to fix).
void check_s3_location(const S3Location& location);

} // namespace offsite::server
