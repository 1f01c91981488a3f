#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "core/common/error.hpp"
#include "server/store/open_store.hpp"
#include "server/store/store_config.hpp"
#include "tests/unit/scoped_env.hpp"
#include "tests/unit/temp_dir.hpp"

using offsite::Code;
using offsite::Error;
using offsite::server::open_data_store;
using offsite::server::parse_store_location;
using offsite::server::write_store_config;
using offsite::test::ScopedEnv;
using offsite::test::TempDir;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("server::OpenStore");

TEST_CASE("given a data directory without store.json, then its objects go to DIR/store") {
  TempDir dir;
  open_data_store(dir.path())->put("invites/x", offsite::as_bytes("{}"));
  CHECK(fs::exists(dir / "store/invites/x"));
}

TEST_CASE("given a recorded file:// store, then objects go there and a missing one is refused") {
  TempDir dir;
  fs::create_directories(dir / "shared");
  fs::create_directories(dir / "data");
  write_store_config(dir / "data", parse_store_location("file://" + (dir / "shared").string(), {}));
  open_data_store(dir / "data")->put("invites/x", offsite::as_bytes("{}"));
  CHECK(fs::exists(dir / "shared/invites/x"));
  CHECK_FALSE(fs::exists(dir / "data/store"));

  fs::remove_all(dir / "shared");
  try {
    open_data_store(dir / "data");
    FAIL("a missing file:// store was opened");
  } catch (const Error& e) {
    CHECK(e.code() == Code::config);
    CHECK(std::string(e.what()).find("is not there") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir / "shared")); // not silently created empty
}

TEST_CASE("given a recorded S3 store without credentials, then opening it says so") {
  TempDir dir;
  fs::create_directories(dir / "data");
  write_store_config(dir / "data",
                     parse_store_location("s3://offsite", {"http://127.0.0.1:7480", {}, {}}));
  ScopedEnv id("AWS_ACCESS_KEY_ID", std::nullopt);
  ScopedEnv secret("AWS_SECRET_ACCESS_KEY", std::nullopt);
  try {
    open_data_store(dir / "data");
    FAIL("opened without credentials");
  } catch (const Error& e) {
    CHECK(e.code() == Code::config);
    CHECK(std::string(e.what()).find("no S3 credentials") != std::string::npos);
  }
}
