#include <doctest/doctest.h>

#include "util/path.hpp"

using offsite::util::join_path;

TEST_SUITE_BEGIN("util::join_path");

TEST_CASE("given a directory and a name when joining then exactly one slash is between them") {
  CHECK(join_path("/", "a") == "/a");
  CHECK(join_path("/a", "b") == "/a/b");
  CHECK(join_path("/a/", "b") == "/a/b");
  CHECK(join_path("/a/b", "c d") == "/a/b/c d");
}

TEST_CASE("given the empty directory when joining then it is the root") {
  CHECK(join_path("", "a") == "/a");
}

TEST_SUITE_END();
