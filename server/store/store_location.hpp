#pragma once
// Where a data centre keeps its objects, as `offsited init --store` names it:
//   (no --store)            DIR/store, the embedded local-directory store
//   file:///PATH            a local-directory store outside DIR (one that two
//                           data directories on one machine, or one shared
//                           file system, can use together)
//   s3://BUCKET[/PREFIX]    an S3 bucket at --s3-endpoint URL (Ceph's RGW)
// Parsing only: nothing is opened or contacted here (server/store/open_store).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "server/store/s3_store.hpp"

namespace offsite::server {

struct StoreLocation {
  enum class Kind { data_dir, directory, s3 };
  Kind kind = Kind::data_dir;
  std::filesystem::path directory; // directory: absolute, lexically normal
  S3Location s3;                   // s3 only
  // s3 only: the AWS shared-credentials file (absolute), or empty for the
  // environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). A path, never a
  // secret: this struct is written to DIR/store.json.
  std::filesystem::path credentials_file;

  // The same objects: same kind, directory or endpoint, bucket and prefix
  // (the region and the credentials may change without switching stores).
  bool same_store(const StoreLocation& other) const;
};

// The S3 flags of `offsited init`, as given (nullopt: not given).
struct S3Flags {
  std::optional<std::string> endpoint;
  std::optional<std::string> region;
  std::optional<std::string> credentials_file;
};

// `--store URL` and the S3 flags, checked together; nullopt `url` is the
// data directory's own store (then no S3 flag may be given). Throws
// Error(Code::usage) naming the flag, what is wrong and what is accepted.
// A relative credentials file is made absolute against the current
// directory, since serve may run elsewhere.
StoreLocation parse_store_location(const std::optional<std::string>& url, const S3Flags& flags);

// "s3://BUCKET/PREFIX at ENDPOINT", "file:///PATH" or "DIR/store": how
// messages name the store (never a credential; none is in a location).
std::string describe(const StoreLocation& location, const std::filesystem::path& data);

// The checks behind parse_store_location, one per flag; each throws
// Error(Code::usage).
S3Location parse_s3_url(std::string_view url);            // bucket and prefix
std::string parse_s3_endpoint(std::string_view endpoint); // "http[s]://HOST[:PORT]"
std::string parse_s3_region(std::string_view region);

} // namespace offsite::server
