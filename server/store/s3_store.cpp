#include "server/store/s3_store.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "server/store/s3_failure.hpp"
#include "server/store/s3_listing.hpp"
#include "server/store/s3_object_store.hpp"
#include "server/store/s3_xml.hpp"
#include "util/printable.hpp"

namespace offsite::server {

namespace {

using namespace std::chrono_literals;

constexpr auto k_first_backoff = 100ms;
constexpr auto k_max_backoff = 5s;

std::string quoted_key(std::string_view key) {
  return "\"" + util::printable(key, core::k_key_in_messages) + "\"";
}

void check_key(std::string_view key) {
  if (!core::is_valid_key(key))
    throw Error(Code::usage, fmt::format("invalid object key {}", quoted_key(key)),
                "keys are '/'-separated names of [A-Za-z0-9._-]");
}

bool is_bucket_name(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (const char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  return b.front() != '.' && b.front() != '-' && b.back() != '.' && b.back() != '-';
}

std::chrono::milliseconds jittered(std::chrono::milliseconds delay) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<long> spread(delay.count() / 2, delay.count());
  return std::chrono::milliseconds(spread(rng));
}

} // namespace

void check_s3_location(const S3Location& location) {
  const std::string_view e = location.endpoint;
  const std::size_t scheme_end = e.find("://");
  const std::string_view scheme =
      scheme_end == std::string_view::npos ? "" : e.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    throw Error(Code::config, "the S3 endpoint must start with http:// or https://",
                "give it as http://HOST:PORT, e.g. http://127.0.0.1:7480");
  std::string_view rest = e.substr(scheme_end + 3);
  while (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  // Said without echoing the endpoint: user information in it is a secret.
  if (rest.find('@') != std::string_view::npos)
    throw Error(Code::config, "the S3 endpoint must not hold a user name or password",
                "give the keys in the S3 credentials file or AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY");
  if (rest.empty() || rest.find_first_of("/?#") != std::string_view::npos)
    throw Error(Code::config,
                fmt::format("the S3 endpoint \"{}\" must be a scheme, host and port only",
                            util::printable(e)),
                "the bucket is given separately (path-style addressing)");
  if (!is_bucket_name(location.bucket))
    throw Error(Code::config,
                fmt::format("\"{}\" is not an S3 bucket name", util::printable(location.bucket)),
                "bucket names are 3-63 characters of a-z, 0-9, '.' and '-'");
  const std::string_view prefix = location.prefix;
  if (!prefix.empty() &&
      (prefix.back() != '/' || !core::is_valid_key(prefix.substr(0, prefix.size() - 1))))
    throw Error(
        Code::config,
        fmt::format("the S3 prefix \"{}\" is not a key followed by '/'", util::printable(prefix)),
        "use '/'-separated names of [A-Za-z0-9._-], e.g. offsite/dc1/");
  if (location.region.empty() || location.region.find_first_not_of(
                                     "abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    throw Error(Code::config,
                fmt::format("\"{}\" is not an S3 region name", util::printable(location.region)),
                "any name RGW knows works, e.g. us-east-1 or default");
}

S3ObjectStore::S3ObjectStore(const S3Location& location, const S3Credentials& credentials,
                             const S3Tuning& tuning)
    : m_location(location), m_tuning(tuning),
      m_http(location.endpoint, location.region, credentials, tuning) {
  check_s3_location(location);
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty())
    throw Error(Code::config, "no S3 credentials (access key and secret) for the store",
                "give them in the S3 credentials file or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  while (!m_location.endpoint.empty() && m_location.endpoint.back() == '/')
    m_location.endpoint.pop_back();
  if (m_tuning.max_attempts < 1) m_tuning.max_attempts = 1;
}

std::string S3ObjectStore::object_path(std::string_view key) const {
  return fmt::format("/{}/{}{}", m_location.bucket, m_location.prefix, key);
}

void S3ObjectStore::fail(const S3Response& response, std::string_view what, int attempts) const {
  const std::string code =
      response.curl_code == 0 ? parse_s3_error_code(as_string(response.body)) : std::string();
  const S3Failure failure = classify_s3_failure(response.curl_code, response.status, code);
  const std::string detail = response.curl_code != 0 ? response.curl_error
                             : code.empty()          ? fmt::format("HTTP {}", response.status)
                                            : fmt::format("HTTP {} {}", response.status, code);
  throw s3_error(failure, m_location.endpoint, m_location.bucket, what, detail, attempts);
}

S3Response S3ObjectStore::call(const S3Request& request, std::string_view what,
                               std::initializer_list<long> expected, bool* failed_before) {
  const auto start = std::chrono::steady_clock::now();
  std::chrono::milliseconds delay = k_first_backoff;
  for (int attempt = 1;; ++attempt) {
    S3Response response = m_http.perform(request);
    if (response.curl_code == 0 &&
        std::find(expected.begin(), expected.end(), response.status) != expected.end()) {
      // A 404 is an absent key, unless the bucket is what is missing.
      if (response.status != 404 || parse_s3_error_code(as_string(response.body)) != "NoSuchBucket")
        return response;
    }
    const std::string code =
        response.curl_code == 0 ? parse_s3_error_code(as_string(response.body)) : std::string();
    const S3Failure failure = classify_s3_failure(response.curl_code, response.status, code);
    const auto spent = std::chrono::steady_clock::now() - start;
    if (!is_retried(failure) || attempt >= m_tuning.max_attempts ||
        spent + delay + m_tuning.stall_timeout > m_tuning.retry_budget)
      fail(response, what, attempt);
    // The request may have been carried out before its reply was lost.
    if (failed_before != nullptr) *failed_before = true;
    std::this_thread::sleep_for(jittered(delay));
    delay = std::min<std::chrono::milliseconds>(delay * 2, k_max_backoff);
  }
}

bool S3ObjectStore::put(std::string_view key, ByteView data) { return put_impl(key, data, false); }

bool S3ObjectStore::put_with_sha256(std::string_view key, ByteView data,
                                    std::string_view sha256_hex) {
  return put_impl(key, data, false, sha256_hex);
}

bool S3ObjectStore::put_after_lost_reply(std::string_view key, ByteView data) {
  return put_impl(key, data, true);
}

bool S3ObjectStore::put_impl(std::string_view key, ByteView data, bool failed_before,
                             std::string_view sha256_hex) {
  check_key(key);
  S3Request request;
  request.method = "PUT";
  request.path = object_path(key);
  request.body = data;
  if (!sha256_hex.empty()) request.content_sha256 = std::string(sha256_hex);
  request.if_none_match_any = true;
  const S3Response response =
      call(request, fmt::format("PUT of {}", quoted_key(key)), {200, 412}, &failed_before);
  if (response.status == 200) return true;
  if (!failed_before && !response.reconnected) return false;
  // 412 after an attempt that may have landed (ours failed, or curl resent
  // the request on a new connection by itself): ours if it holds our bytes
  // (content decides; an identical object from a racer is as good as ours).
  const auto stored = get(key, 0, std::nullopt);
  return stored && std::equal(stored->begin(), stored->end(), data.begin(), data.end());
}

std::optional<Bytes> S3ObjectStore::get(std::string_view key, std::uint64_t offset,
                                        std::optional<std::uint64_t> length) {
  check_key(key);
  if (length && *length == 0) {
    if (!head(key)) return std::nullopt;
    return Bytes{};
  }
  S3Request request;
  request.path = object_path(key);
  if (offset > 0 || length) {
    const bool to_end = !length || *length > UINT64_MAX - offset;
    request.range = to_end ? fmt::format("bytes={}-", offset)
                           : fmt::format("bytes={}-{}", offset, offset + *length - 1);
  }
  const std::string what = fmt::format("GET of {}", quoted_key(key));
  S3Response response = call(request, what, {200, 206, 404, 416});
  switch (response.status) {
  case 404: return std::nullopt;
  case 416: return Bytes{}; // the range starts at or past the end
  case 200:
    if (request.range) { // the store ignored the range: cut it here
      Bytes& body = response.body;
      const std::size_t from =
          static_cast<std::size_t>(std::min<std::uint64_t>(offset, body.size()));
      body.erase(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(from));
      if (length && *length < body.size()) body.resize(static_cast<std::size_t>(*length));
    }
    return std::move(response.body);
  default: // 206
    if (length && response.body.size() > *length) fail(response, what + " (range too long)", 1);
    return std::move(response.body);
  }
}

std::optional<std::uint64_t> S3ObjectStore::head(std::string_view key) {
  check_key(key);
  S3Request request;
  request.method = "HEAD";
  request.path = object_path(key);
  const std::string what = fmt::format("HEAD of {}", quoted_key(key));
  const S3Response response = call(request, what, {200, 404});
  if (response.status == 404) return std::nullopt;
  if (!response.content_length)
    throw s3_error(S3Failure::protocol, m_location.endpoint, m_location.bucket, what,
                   "HTTP 200 without Content-Length", 1);
  return response.content_length;
}

core::ListPage S3ObjectStore::list(std::string_view prefix, std::string_view start_after,
                                   std::size_t limit) {
  S3ListQuery query;
  query.location_prefix = m_location.prefix;
  query.prefix = m_location.prefix + std::string(prefix);
  if (!start_after.empty()) query.start_after = m_location.prefix + std::string(start_after);
  query.limit = limit;
  const std::string what = fmt::format("LIST of {}", quoted_key(query.prefix));
  const auto fetch = [&](const std::string& token, std::size_t want) {
    S3Request request;
    request.path = "/" + m_location.bucket;
    request.query = {
        {"list-type", "2"}, {"max-keys", std::to_string(want)}, {"prefix", query.prefix}};
    if (!token.empty())
      request.query.emplace_back("continuation-token", token);
    else if (!query.start_after.empty())
      request.query.emplace_back("start-after", query.start_after);
    return parse_list_objects_v2(as_string(call(request, what, {200}).body));
  };
  try {
    return collect_list_pages(query, fetch);
  } catch (const MalformedS3Reply& e) {
    throw s3_error(S3Failure::protocol, m_location.endpoint, m_location.bucket, what, e.what(), 1);
  }
}

bool S3ObjectStore::remove(std::string_view key) {
  // DELETE answers 204 either way; HEAD first makes the bool mean something
  // (racy between two removers: see s3_object_store.hpp).
  if (!head(key)) return false;
  S3Request request;
  request.method = "DELETE";
  request.path = object_path(key);
  call(request, fmt::format("DELETE of {}", quoted_key(key)), {200, 204, 404});
  return true;
}

bool S3ObjectStore::create_bucket() {
  const std::string what = fmt::format("creation of the bucket \"{}\"", m_location.bucket);
  S3Request probe;
  probe.method = "HEAD";
  probe.path = "/" + m_location.bucket;
  // RGW answers a PUT of a bucket we own with 200 too: ask first.
  if (call(probe, what, {200, 404}).status == 200) return false;
  S3Request request;
  request.method = "PUT";
  request.path = "/" + m_location.bucket;
  const S3Response response = call(request, what, {200, 409});
  if (response.status == 200) return true;
  const std::string code = parse_s3_error_code(as_string(response.body));
  if (code == "BucketAlreadyOwnedByYou") return false; // created by a racer of ours
  throw Error(Code::config,
              fmt::format("the bucket \"{}\" in the data centre's storage (S3 at {}) belongs to "
                          "someone else ({})",
                          m_location.bucket, m_location.endpoint, code.empty() ? "HTTP 409" : code),
              "choose another bucket name");
}

std::unique_ptr<core::Store> open_s3_store(const S3Location& location,
                                           const S3Credentials& credentials,
                                           const S3Tuning& tuning) {
  return std::make_unique<S3ObjectStore>(location, credentials, tuning);
}

bool create_bucket_if_missing(const S3Location& location, const S3Credentials& credentials,
                              const S3Tuning& tuning) {
  return S3ObjectStore(location, credentials, tuning).create_bucket();
}

} // namespace offsite::server
