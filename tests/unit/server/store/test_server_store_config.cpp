#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/common/error.hpp"
#include "server/store/store_config.hpp"
#include "tests/unit/temp_dir.hpp"

using offsite::Code;
using offsite::Error;
using offsite::server::parse_store_location;
using offsite::server::read_store_config;
using offsite::server::store_config_path;
using offsite::server::StoreLocation;
using offsite::server::write_store_config;
using offsite::test::TempDir;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("server::StoreConfig");

TEST_CASE("given no store.json, then the data directory's own store is read") {
  TempDir dir;
  CHECK(read_store_config(dir.path()).kind == StoreLocation::Kind::data_dir);
}

TEST_CASE("given an S3 location written, then it reads back the same, 0600, with no secret") {
  TempDir dir;
  const auto location = parse_store_location(
      "s3://offsite/dc1", {"http://127.0.0.1:7480", "default", "/etc/offsite/cred"});
  write_store_config(dir.path(), location);
  const auto back = read_store_config(dir.path());
  CHECK(back.kind == StoreLocation::Kind::s3);
  CHECK(back.same_store(location));
  CHECK(back.s3.region == "default");
  CHECK(back.credentials_file == "/etc/offsite/cred");
  CHECK((fs::status(store_config_path(dir.path())).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  std::stringstream text;
  text << std::ifstream(store_config_path(dir.path())).rdbuf();
  CHECK(text.str().find("secret") == std::string::npos);
}

TEST_CASE("given a file:// location written, then it reads back the same") {
  TempDir dir;
  write_store_config(dir.path(), parse_store_location("file:///srv/shared", {}));
  const auto back = read_store_config(dir.path());
  CHECK(back.kind == StoreLocation::Kind::directory);
  CHECK(back.directory == "/srv/shared");
}

TEST_CASE("given a garbled or hand-broken store.json, then a config error names the file") {
  TempDir dir;
  for (const char* text :
       {"not json", "{}", R"({"version": 2, "kind": "file", "path": "/x"})",
        R"({"version": 1, "kind": "tape"})", R"({"version": 1, "kind": "file", "path": "x"})",
        R"({"version": 1, "kind": "s3", "endpoint": "ftp://gw", "bucket": "offsite",
            "prefix": "", "region": "us-east-1", "credentials_file": ""})"}) {
    std::ofstream(store_config_path(dir.path()), std::ios::trunc) << text;
    try {
      read_store_config(dir.path());
      FAIL("no error for ", text);
    } catch (const Error& e) {
      CHECK(e.code() == Code::config);
      CHECK(std::string(e.what()).find(store_config_path(dir.path()).string()) !=
            std::string::npos);
    }
  }
}
