#pragma once
// The Ceph cluster the CTest fixture `ceph` starts (tests/tools/ceph-cluster):
// its endpoint and S3 keys, read from OFFSITE_TEST_S3_DIR. Without it the
// test fails (never skips): a test of the S3 store with no S3 proves nothing.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/common/bytes.hpp"
#include "core/crypto/crypto.hpp"
#include "server/store/s3_store.hpp"

namespace offsite::test {

struct S3TestCluster {
  server::S3Location location; // bucket "offsite-test", a fresh prefix
  server::S3Credentials credentials;
};

inline std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line))
    throw std::runtime_error("cannot read " + path + " (is the ceph fixture up?)");
  return line;
}

// A fresh prefix per call, so runs and cases never see each other's keys.
inline S3TestCluster s3_test_cluster() {
  const char* dir = std::getenv("OFFSITE_TEST_S3_DIR");
  if (dir == nullptr || *dir == '\0')
    throw std::runtime_error("OFFSITE_TEST_S3_DIR is not set: run through ctest, whose fixture "
                             "'ceph' starts the cluster (tests/tools/ceph-cluster)");
  S3TestCluster c;
  c.location.endpoint = read_first_line(std::string(dir) + "/endpoint");
  c.location.bucket = "offsite-test";
  c.location.prefix = "run-" + to_hex(core::crypto::random_bytes(6)) + "/";
  std::ifstream in(std::string(dir) + "/credentials");
  for (std::string line; std::getline(in, line);) {
    const std::size_t eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const std::string name = line.substr(0, eq), value = line.substr(eq + 3);
    if (name == "aws_access_key_id") c.credentials.access_key_id = value;
    if (name == "aws_secret_access_key") c.credentials.secret_access_key = value;
  }
  if (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty())
    throw std::runtime_error(std::string("no S3 keys in ") + dir + "/credentials");
  server::create_bucket_if_missing(c.location, c.credentials);
  return c;
}

} // namespace offsite::test
