#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/common/error.hpp"
#include "server/store/s3_credentials.hpp"
#include "tests/unit/scoped_env.hpp"
#include "tests/unit/temp_dir.hpp"

using offsite::Code;
using offsite::Error;
using offsite::server::load_s3_credentials;
using offsite::server::parse_s3_credentials;
using offsite::test::ScopedEnv;
using offsite::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// The config error's message and hint, or "" when nothing was thrown.
template <typename F> std::string config_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.code() == Code::config);
    CHECK_FALSE(e.hint().empty());
    CHECK(std::string(e.what()).find(k_secret) == std::string::npos);
    CHECK(e.hint().find(k_secret) == std::string::npos);
    return std::string(e.what()) + "\n" + e.hint();
  }
  return {};
}

fs::path write_file(const TempDir& dir, const std::string& text, fs::perms mode) {
  auto path = dir / "credentials";
  std::ofstream(path) << text;
  fs::permissions(path, mode);
  return path;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE_BEGIN("server::S3Credentials");

TEST_CASE("given the AWS format with comments and whitespace, then the profile's keys are read") {
  const std::string text = "# offsite's gateway user\n"
                           "; another comment\n"
                           "\n"
                           "[other]\n"
                           "aws_access_key_id = OTHER\n"
                           "aws_secret_access_key = OTHERSECRET\n"
                           "  [ default ]  \r\n"
                           "\taws_access_key_id=AKIDEXAMPLE   \r\n"
                           "AWS_Secret_Access_Key =   " +
                           std::string(k_secret) +
                           "\n"
                           "aws_session_token = ignored\n";
  const auto credentials = parse_s3_credentials(text, "default", "FILE");
  CHECK(credentials.access_key_id == "AKIDEXAMPLE");
  CHECK(credentials.secret_access_key == k_secret);
  CHECK(parse_s3_credentials(text, "other", "FILE").access_key_id == "OTHER");
}

TEST_CASE("given a missing profile, then the error names it and the profiles there are") {
  const auto message = config_error(
      [] { parse_s3_credentials("[ceph]\naws_access_key_id = A\n", "default", "/etc/cred"); });
  CHECK(has(message, "/etc/cred has no [default] profile (it has ceph)"));
  CHECK(has(message, "AWS_PROFILE"));
}

TEST_CASE("given a missing or empty key, then the error names the key, never a secret") {
  CHECK(has(config_error([] {
              parse_s3_credentials(std::string("[default]\naws_secret_access_key = ") + k_secret,
                                   "default", "F");
            }),
            "F [default] has no aws_access_key_id"));
  CHECK(has(config_error([] {
              parse_s3_credentials("[default]\naws_access_key_id = A\naws_secret_access_key =\n",
                                   "default", "F");
            }),
            "F [default] has no aws_secret_access_key"));
}

TEST_CASE("given a malformed line, then the error gives its number, not its text") {
  const auto secret_line = std::string("[default]\naws_access_key_id = A\n") + k_secret + "\n";
  CHECK(has(config_error([&] { parse_s3_credentials(secret_line, "default", "F"); }),
            "F line 3 is neither [PROFILE], key = value nor a comment"));
  CHECK(has(config_error([] { parse_s3_credentials("aws_access_key_id = A\n", "default", "F"); }),
            "F line 1: a key before any [PROFILE] header"));
  CHECK(has(config_error([] { parse_s3_credentials("[default\n", "default", "F"); }),
            "F line 1: a section header is [NAME]"));
  CHECK(has(config_error([] {
              parse_s3_credentials(std::string("[default]\naws_access_key_id = A B\n"
                                               "aws_secret_access_key = ") +
                                       k_secret,
                                   "default", "F");
            }),
            "aws_access_key_id holds spaces"));
}

TEST_CASE("given a 0600 file, then load reads it, with AWS_PROFILE choosing the profile") {
  TempDir dir;
  const auto path = write_file(dir,
                               std::string("[default]\naws_access_key_id = AKID\n"
                                           "aws_secret_access_key = ") +
                                   k_secret +
                                   "\n[ceph]\naws_access_key_id = CEPH\n"
                                   "aws_secret_access_key = CEPHSECRET\n",
                               fs::perms::owner_read | fs::perms::owner_write);
  {
    ScopedEnv profile("AWS_PROFILE", std::nullopt);
    CHECK(load_s3_credentials(path).access_key_id == "AKID");
  }
  ScopedEnv profile("AWS_PROFILE", "ceph");
  CHECK(load_s3_credentials(path).secret_access_key == "CEPHSECRET");
  // The file wins over the environment.
  ScopedEnv id("AWS_ACCESS_KEY_ID", "ENVID");
  CHECK(load_s3_credentials(path).access_key_id == "CEPH");
}

TEST_CASE("given a file group or others may read or write, then it is refused as ssh does") {
  TempDir dir;
  for (const auto extra : {fs::perms::group_read, fs::perms::others_read, fs::perms::group_write,
                           fs::perms::others_write}) {
    const auto path = write_file(dir, "[default]\n", fs::perms::owner_read | extra);
    const auto message = config_error([&] { load_s3_credentials(path); });
    CHECK(has(message, "is accessible to group or others"));
    CHECK(has(message, "chmod 600 " + path.string()));
  }
}

TEST_CASE("given a missing file or a directory, then the error says so and what to do") {
  TempDir dir;
  const auto missing = config_error([&] { load_s3_credentials(dir / "nothing"); });
  CHECK(has(missing, "cannot read the S3 credentials file"));
  CHECK(has(missing, "No such file or directory"));
  CHECK(has(missing, "--s3-credentials-file"));
  CHECK(has(config_error([&] { load_s3_credentials(dir.path()); }), "is not a regular file"));
}

TEST_CASE("given no file, then the environment's keys are used, both or an error") {
  {
    ScopedEnv id("AWS_ACCESS_KEY_ID", "ENVID");
    ScopedEnv secret("AWS_SECRET_ACCESS_KEY", std::string(k_secret));
    const auto credentials = load_s3_credentials({});
    CHECK(credentials.access_key_id == "ENVID");
    CHECK(credentials.secret_access_key == k_secret);
  }
  {
    ScopedEnv id("AWS_ACCESS_KEY_ID", std::nullopt);
    ScopedEnv secret("AWS_SECRET_ACCESS_KEY", std::nullopt);
    CHECK(has(config_error([] { load_s3_credentials({}); }), "no S3 credentials"));
  }
  ScopedEnv id("AWS_ACCESS_KEY_ID", "ENVID");
  ScopedEnv secret("AWS_SECRET_ACCESS_KEY", std::nullopt);
  CHECK(has(config_error([] { load_s3_credentials({}); }),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
}
