#include "server/store/store_location.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "util/printable.hpp"

namespace offsite::server {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_stores = "the stores are s3://BUCKET[/PREFIX] (with --s3-endpoint "
                                      "URL) and file:///PATH; without --store, DIR/store";

// What the user typed, safe to print and short.
std::string shown(std::string_view text) {
  return util::printable(text, {.max_chars = 200, .quoted = true});
}

Error usage(const std::string& message, std::string hint) {
  return Error(Code::usage, message, std::move(hint));
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// S3's bucket naming rules (path-style addressing, so dots are fine).
std::optional<std::string> bucket_problem(std::string_view bucket) {
  if (bucket.empty()) return "the bucket name is empty";
  if (bucket.size() < 3 || bucket.size() > 63) return "a bucket name has 3 to 63 characters";
  if (!std::all_of(bucket.begin(), bucket.end(),
                   [](char c) { return is_lower_alnum(c) || c == '.' || c == '-'; }))
    return "a bucket name holds only lower-case letters, digits, '.' and '-'";
  if (!is_lower_alnum(bucket.front()) || !is_lower_alnum(bucket.back()))
    return "a bucket name starts and ends with a letter or a digit";
  if (bucket.find("..") != std::string_view::npos) return "a bucket name has no \"..\"";
  return std::nullopt;
}

// A prefix is made of key segments, like a store key; stored ending in '/'.
std::optional<std::string> normal_prefix(std::string_view text) {
  if (text.empty()) return std::string{};
  if (text.ends_with('/')) text.remove_suffix(1);
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto slash = std::min(text.find('/', start), text.size());
    const auto segment = text.substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == ".." ||
        !std::all_of(segment.begin(), segment.end(), is_key_char))
      return std::nullopt;
    out += std::string(segment) + "/";
    start = slash + 1;
  }
  return out;
}

bool is_host_char(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
}

std::string resolved(const std::string& file) {
  return fs::absolute(fs::path(file)).lexically_normal().string();
}

} // namespace

bool StoreLocation::same_store(const StoreLocation& other) const {
  if (kind != other.kind) return false;
  switch (kind) {
  case Kind::data_dir: return true;
  case Kind::directory: return directory == other.directory;
  case Kind::s3:
    return s3.endpoint == other.s3.endpoint && s3.bucket == other.s3.bucket &&
           s3.prefix == other.s3.prefix;
  }
  return false;
}

S3Location parse_s3_url(std::string_view url) {
  constexpr std::string_view scheme = "s3://";
  if (!url.starts_with(scheme))
    throw usage(fmt::format("--store {}: not an s3:// URL", shown(url)), std::string(k_stores));
  const auto rest = url.substr(scheme.size());
  // No echo: whatever stands before '@' may be a secret.
  if (rest.find('@') != std::string_view::npos)
    throw usage("--store: an s3:// URL holds no user name or key ('@')",
                "give the keys in a credentials file (--s3-credentials-file) or in "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  const auto slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (const auto problem = bucket_problem(location.bucket))
    throw usage(fmt::format("--store {}: {}", shown(url), *problem),
                "write s3://BUCKET or s3://BUCKET/PREFIX, e.g. s3://offsite/dc1");
  if (slash != std::string_view::npos) {
    const auto prefix = normal_prefix(rest.substr(slash + 1));
    if (!prefix)
      throw usage(fmt::format("--store {}: the prefix is not a sequence of names separated by "
                              "'/' (letters, digits, '.', '_', '-'; no empty, \".\" or \"..\")",
                              shown(url)),
                  "write s3://BUCKET/PREFIX, e.g. s3://offsite/dc1");
    location.prefix = *prefix;
  }
  return location;
}

std::string parse_s3_endpoint(std::string_view endpoint) {
  const auto bad = [&](std::string_view problem) {
    return usage(fmt::format("--s3-endpoint {}: {}", shown(endpoint), problem),
                 "give the gateway's URL, http://HOST[:PORT] or https://HOST[:PORT], e.g. "
                 "http://10.0.0.5:7480");
  };
  std::string_view rest;
  if (endpoint.starts_with("http://"))
    rest = endpoint.substr(7);
  else if (endpoint.starts_with("https://"))
    rest = endpoint.substr(8);
  else
    throw bad("not an http:// or https:// URL");
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos)
    throw usage("--s3-endpoint: the URL holds no user name or key ('@')",
                "give the keys in a credentials file (--s3-credentials-file) or in "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  if (rest.find_first_of("/?#") != std::string_view::npos)
    throw bad("the URL has a path, query or fragment; the bucket goes in --store s3://BUCKET");
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) { // [IPv6]:PORT
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close == 1) throw bad("an unclosed or empty [address]");
    host = rest.substr(0, close + 1);
    const auto after = rest.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) throw bad("text after the [address]");
    if (!after.empty()) port = after.substr(1);
    if (!std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      throw bad("not an IPv6 address between [ ]");
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
    if (port.find(':') != std::string_view::npos) throw bad("an IPv6 address goes between [ ]");
    if (host.empty()) throw bad("no host");
    if (!std::all_of(host.begin(), host.end(), is_host_char))
      throw bad("not a host name or address");
  }
  if (!port.empty() || rest.ends_with(':')) { // "HOST:" has an empty port
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      throw bad("the port is not a number from 1 to 65535");
  }
  return std::string(endpoint.substr(0, endpoint.size() - (endpoint.ends_with('/') ? 1 : 0)));
}

std::string parse_s3_region(std::string_view region) {
  if (region.empty() || region.size() > 64 ||
      !std::all_of(region.begin(), region.end(), [](char c) { return is_key_char(c) && c != '.'; }))
    throw usage(fmt::format("--s3-region {}: not a region name", shown(region)),
                "a region is letters, digits, '_' and '-', e.g. us-east-1 or default (Ceph "
                "accepts any)");
  return std::string(region);
}

StoreLocation parse_store_location(const std::optional<std::string>& url, const S3Flags& flags) {
  const auto s3_flag = flags.endpoint           ? "--s3-endpoint"
                       : flags.region           ? "--s3-region"
                       : flags.credentials_file ? "--s3-credentials-file"
                                                : nullptr;
  StoreLocation location;
  if (!url) {
    if (s3_flag)
      throw usage(fmt::format("{} is only for an S3 store", s3_flag),
                  "add --store s3://BUCKET[/PREFIX], or leave out the --s3-* flags to keep the "
                  "store in DIR/store");
    return location;
  }
  if (url->starts_with("file://")) {
    if (s3_flag)
      throw usage(fmt::format("{} is only for an s3:// store, not a file:// one", s3_flag),
                  "leave out the --s3-* flags");
    const fs::path path(url->substr(7));
    if (!path.is_absolute())
      throw usage(fmt::format("--store {}: a file:// URL names an absolute path", shown(*url)),
                  "write file:///PATH (three slashes), e.g. file:///srv/offsite-store");
    location.kind = StoreLocation::Kind::directory;
    location.directory = path.lexically_normal();
    return location;
  }
  if (!url->starts_with("s3://"))
    throw usage(fmt::format("--store {}: unknown kind of store", shown(*url)),
                std::string(k_stores));
  location.kind = StoreLocation::Kind::s3;
  location.s3 = parse_s3_url(*url);
  if (!flags.endpoint)
    throw usage(fmt::format("--store {} needs --s3-endpoint URL", shown(*url)),
                "give the gateway's URL, e.g. --s3-endpoint http://10.0.0.5:7480");
  location.s3.endpoint = parse_s3_endpoint(*flags.endpoint);
  if (flags.region) location.s3.region = parse_s3_region(*flags.region);
  if (flags.credentials_file) {
    if (flags.credentials_file->empty())
      throw usage("--s3-credentials-file is empty",
                  "name the credentials file (AWS format, mode 0600), or leave the flag out to "
                  "take AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment");
    location.credentials_file = resolved(*flags.credentials_file);
  }
  return location;
}

std::string describe(const StoreLocation& location, const fs::path& data) {
  switch (location.kind) {
  case StoreLocation::Kind::data_dir: return (data / "store").string();
  case StoreLocation::Kind::directory: return "file://" + location.directory.string();
  case StoreLocation::Kind::s3: {
    auto prefix = location.s3.prefix;
    if (!prefix.empty()) prefix.pop_back();
    return fmt::format("s3://{}{}{} at {}", location.s3.bucket, prefix.empty() ? "" : "/", prefix,
                       location.s3.endpoint);
  }
  }
  return {};
}

} // namespace offsite::server
