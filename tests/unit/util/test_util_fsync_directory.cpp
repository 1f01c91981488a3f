#include <doctest/doctest.h>

#include <cerrno>

#include "tests/unit/temp_dir.hpp"
#include "util/fsync_directory.hpp"

using offsite::util::fsync_directory;

TEST_SUITE_BEGIN("util::fsync_directory");

TEST_CASE("given an existing directory when syncing it then it succeeds") {
  offsite::test::TempDir dir;
  CHECK(fsync_directory(dir.path().c_str()) == 0);
}

TEST_CASE("given the empty path when syncing then the current directory is synced") {
  CHECK(fsync_directory("") == 0);
}

TEST_CASE("given a missing directory when syncing then the open's errno is returned") {
  offsite::test::TempDir dir;
  CHECK(fsync_directory((dir / "missing").c_str()) == ENOENT);
}

TEST_CASE("given a regular file when syncing it as a directory then ENOTDIR is returned") {
  CHECK(fsync_directory("/dev/null") == ENOTDIR);
}

TEST_SUITE_END();
