#pragma once
// S3 credentials as the S3 ecosystem keeps them: an AWS shared-credentials
// file
//   # comment            ; comment
//   [default]
//   aws_access_key_id = AKIA...
//   aws_secret_access_key = ...
// (the profile AWS_PROFILE names, else [default]), or, when no file was
// recorded by `offsited init`, the environment's AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY. Like ssh with a private key, a file that group or
// others may read or write is refused. Messages name the file, the profile,
// the key and the line number, never a line's text: it may hold a secret.

#include <filesystem>
#include <string_view>

#include "server/store/s3_store.hpp"

namespace offsite::server {

// The credentials of `profile` in the text of a shared-credentials file
// (`source` names it in messages). Throws Error(Code::config) for a line
// that is no section, key = value or comment, a missing profile or key, or
// a value that is not printable ASCII without spaces.
S3Credentials parse_s3_credentials(std::string_view text, std::string_view profile,
                                   std::string_view source);

// From `file` (absolute; checked: a regular file of mode 0600 or narrower)
// when not empty, else from the environment. Throws Error(Code::config)
// saying what is missing or wrong and how to fix it.
S3Credentials load_s3_credentials(const std::filesystem::path& file);

} // namespace offsite::server
