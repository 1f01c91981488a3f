#include "server/store/s3_http.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/crypto/crypto.hpp"

namespace offsite::server {

namespace {

// More idle connections than the server has request threads would only sit
// on radosgw's connection slots.
constexpr std::size_t k_max_idle_handles = 64;

struct Upload {
  ByteView data;
  std::size_t done = 0;
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up->data.size() - up->done);
  std::memcpy(buffer, up->data.data() + up->done, n);
  up->done += n;
  return n;
}

// curl rewinds the body when it must send it again (a 100-continue refused,
// a reused connection that turned out closed).
int seek_body(void* user, curl_off_t offset, int origin) {
  auto* up = static_cast<Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > up->data.size())
    return CURL_SEEKFUNC_FAIL;
  up->done = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<Bytes*>(user);
  const auto* p = reinterpret_cast<const std::uint8_t*>(data);
  out->insert(out->end(), p, p + size * count);
  return size * count;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) throw std::bad_alloc();
    list = next;
  }
};

} // namespace

std::string s3_percent_encode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (const char c : raw) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~')
      out += c;
    else
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

S3Http::S3Http(std::string endpoint, const std::string& region, S3Credentials credentials,
               S3Tuning tuning)
    : m_endpoint(std::move(endpoint)), m_sigv4("aws:amz:" + region + ":s3"),
      m_credentials(std::move(credentials)), m_tuning(tuning), m_pool(k_max_idle_handles) {
  while (!m_endpoint.empty() && m_endpoint.back() == '/')
    m_endpoint.pop_back();
}

S3Response S3Http::perform(const S3Request& request) {
  auto query = request.query;
  std::sort(query.begin(), query.end());
  std::string url = m_endpoint + request.path;
  for (std::size_t i = 0; i < query.size(); ++i)
    url += fmt::format("{}{}={}", i == 0 ? '?' : '&', s3_percent_encode(query[i].first),
                       s3_percent_encode(query[i].second));

  HeaderList headers;
  headers.add("x-amz-content-sha256: " +
              request.content_sha256.value_or(to_hex(core::crypto::sha256(request.body))));
  if (request.range) headers.add("Range: " + *request.range);
  if (request.if_none_match_any) headers.add("If-None-Match: *");

  S3Response response;
  Upload upload{request.body};
  char error_buffer[CURL_ERROR_SIZE] = {};
  const auto lease = m_pool.take();
  CURL* h = lease.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); // many threads: no SIGALRM
  // The store is reached directly: an http_proxy in the daemon's
  // environment must not reroute (or see) the data centre's storage traffic.
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, m_sigv4.c_str());
  curl_easy_setopt(h, CURLOPT_USERNAME, m_credentials.access_key_id.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, m_credentials.secret_access_key.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(m_tuning.connect_timeout.count()));
  // A transfer moving less than a byte a second for the stall time is dead.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(m_tuning.stall_timeout.count() / 1000)));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  const std::string_view method = request.method;
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &seek_body);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &upload);
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method);
  }

  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    response.curl_code = static_cast<int>(rc);
    response.curl_error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    return response;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  response.reconnected = lease.used() && connects > 0;
  curl_off_t length = -1;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length >= 0)
    response.content_length = static_cast<std::uint64_t>(length);
  return response;
}

} // namespace offsite::server
