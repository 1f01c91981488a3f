#include "server/store/s3_credentials.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>

#include <sys/stat.h>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "util/printable.hpp"

namespace offsite::server {

namespace {

constexpr std::string_view k_id_key = "aws_access_key_id";
constexpr std::string_view k_secret_key = "aws_secret_access_key";
// A credentials file is a few lines; anything far bigger is not one.
constexpr std::uintmax_t k_max_file_size = 1u << 20;

std::string_view trimmed(std::string_view text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A key or secret goes into a signed HTTP header: visible ASCII only.
bool is_token(std::string_view value) {
  return !value.empty() &&
         std::all_of(value.begin(), value.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::string profile_name() {
  const char* chosen = std::getenv("AWS_PROFILE");
  return chosen && *chosen ? chosen : "default";
}

Error config_error(const std::string& message, std::string hint) {
  return Error(Code::config, message, std::move(hint));
}

void check_private_file(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    const int error = errno;
    throw config_error(
        fmt::format("cannot read the S3 credentials file {}: {}", util::printable(file.string()),
                    std::strerror(error)),
        "create it (AWS shared-credentials format, mode 0600), or run offsited init again with "
        "the right --s3-credentials-file");
  }
  if (!S_ISREG(st.st_mode))
    throw config_error(fmt::format("the S3 credentials file {} is not a regular file",
                                   util::printable(file.string())),
                       "name a file in the AWS shared-credentials format");
  if ((st.st_mode & 077) != 0)
    throw config_error(fmt::format("the S3 credentials file {} is accessible to group or others "
                                   "(mode {:04o}); it holds a secret key",
                                   util::printable(file.string()), st.st_mode & 07777),
                       fmt::format("chmod 600 {}", util::printable(file.string())));
  if (static_cast<std::uintmax_t>(st.st_size) > k_max_file_size)
    throw config_error(fmt::format("the S3 credentials file {} is larger than 1 MiB",
                                   util::printable(file.string())),
                       "name a file in the AWS shared-credentials format");
}

} // namespace

S3Credentials parse_s3_credentials(std::string_view text, std::string_view profile,
                                   std::string_view source) {
  // section -> key -> value; a later line wins, as in the AWS tools.
  std::map<std::string, std::map<std::string, std::string>> sections;
  std::optional<std::string> section;
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = std::min(text.find('\n'), text.size());
    const auto line = trimmed(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    ++number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || trimmed(line.substr(1, line.size() - 2)).empty())
        throw config_error(fmt::format("{} line {}: a section header is [NAME]", source, number),
                           "fix the line; the file holds [PROFILE] headers and key = value lines");
      section = std::string(trimmed(line.substr(1, line.size() - 2)));
      sections[*section];
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos || trimmed(line.substr(0, equals)).empty())
      throw config_error(
          fmt::format("{} line {} is neither [PROFILE], key = value nor a comment", source, number),
          "fix the line; comments start with # or ;");
    if (!section)
      throw config_error(
          fmt::format("{} line {}: a key before any [PROFILE] header", source, number),
          "put [default] above the keys");
    sections[*section][lower(trimmed(line.substr(0, equals)))] =
        std::string(trimmed(line.substr(equals + 1)));
  }
  const auto found = sections.find(std::string(profile));
  if (found == sections.end()) {
    std::string names;
    for (const auto& [name, keys] : sections)
      names += (names.empty() ? "" : ", ") + util::printable(name);
    throw config_error(fmt::format("{} has no [{}] profile{}", source, util::printable(profile),
                                   names.empty() ? "" : fmt::format(" (it has {})", names)),
                       profile == "default"
                           ? "add a [default] section, or choose one with AWS_PROFILE=NAME"
                           : "add the section, or choose another with AWS_PROFILE=NAME");
  }
  S3Credentials credentials;
  for (const auto& [key, target] : {std::pair{k_id_key, &credentials.access_key_id},
                                    std::pair{k_secret_key, &credentials.secret_access_key}}) {
    const auto value = found->second.find(std::string(key));
    if (value == found->second.end() || value->second.empty())
      throw config_error(
          fmt::format("{} [{}] has no {}", source, util::printable(profile), key),
          fmt::format("add a line {} = ... to the [{}] section", key, util::printable(profile)));
    if (!is_token(value->second))
      throw config_error(fmt::format("{} [{}]: the {} holds spaces or characters that are not "
                                     "printable ASCII",
                                     source, util::printable(profile), key),
                         "copy the key again from the gateway's user (radosgw-admin user info)");
    *target = value->second;
  }
  return credentials;
}

S3Credentials load_s3_credentials(const std::filesystem::path& file) {
  if (!file.empty()) {
    check_private_file(file);
    std::ifstream in(file, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof())
      throw config_error(
          fmt::format("cannot read the S3 credentials file {}", util::printable(file.string())),
          "check that offsited may read it");
    return parse_s3_credentials(text, profile_name(), util::printable(file.string()));
  }
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const bool has_id = id && *id;
  const bool has_secret = secret && *secret;
  if (!has_id && !has_secret)
    throw config_error(
        "no S3 credentials: offsited init recorded no credentials file, and AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY are not set",
        "set both in offsited's environment, or run offsited init again with "
        "--s3-credentials-file FILE (AWS format, mode 0600)");
  if (!has_id || !has_secret)
    throw config_error(fmt::format("{} is set but {} is not",
                                   has_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                   has_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"),
                       "set both, or neither and use --s3-credentials-file FILE");
  S3Credentials credentials{id, secret};
  if (!is_token(credentials.access_key_id) || !is_token(credentials.secret_access_key))
    throw config_error("AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY holds spaces or characters "
                       "that are not printable ASCII",
                       "copy the keys again from the gateway's user (radosgw-admin user info)");
  return credentials;
}

} // namespace offsite::server
