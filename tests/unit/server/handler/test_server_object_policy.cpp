#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/handler/object_policy.hpp"

using offsite::server::k_max_pack_object;
using offsite::server::k_max_small_object;
using offsite::server::k_max_snapshot_object;
using offsite::server::refuse_object;

namespace {

const std::string k_hash(64, 'a');

std::string code_for(const std::string& key, std::size_t size = 1) {
  const auto refusal = refuse_object(key, size);
  return refusal ? std::string(refusal->code) : "ok";
}

} // namespace

TEST_SUITE_BEGIN("server::object_policy");

TEST_CASE("given a repository's names, when within their sizes, then accepted") {
  CHECK(code_for("config") == "ok");
  CHECK(code_for("keys/0123456789abcdef") == "ok");
  CHECK(code_for("locks/exclusive-1.json") == "ok");
  CHECK(code_for("data/aa/" + k_hash, k_max_pack_object) == "ok");
  CHECK(code_for("index/" + k_hash, k_max_pack_object) == "ok");
  CHECK(code_for("snapshots/" + k_hash, k_max_snapshot_object) == "ok");
  CHECK(code_for("keys/00", k_max_small_object) == "ok");
}

TEST_CASE("given any other name, when stored, then invalid_key") {
  for (const auto& key : std::vector<std::string>{
           {"index/junk", "index/" + k_hash.substr(1), "index/" + k_hash + "/x", "snapshots/latest",
            "keys/x", "keys/ABCD", "keys/" + std::string(65, '0'), "junk", "a/b/c/d/e",
            "data/" + k_hash, "data/ab/" + k_hash, "data/AA/" + std::string(64, 'A'), "locks/a/b",
            "config/x", "configx", "tmp/x"}})
    CHECK_MESSAGE(code_for(key) == "invalid_key", key);
}

TEST_CASE("given a well-formed name, when the object is too large for its kind, then too_large") {
  CHECK(code_for("config", k_max_small_object + 1) == "too_large");
  CHECK(code_for("keys/00", k_max_small_object + 1) == "too_large");
  CHECK(code_for("locks/x", k_max_small_object + 1) == "too_large");
  CHECK(code_for("snapshots/" + k_hash, k_max_snapshot_object + 1) == "too_large");
  CHECK(code_for("index/" + k_hash, k_max_pack_object + 1) == "too_large");
  CHECK(code_for("data/aa/" + k_hash, k_max_pack_object + 1) == "too_large");
}

TEST_SUITE_END();
