#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/backup/backup_paths.hpp"
#include "core/common/error.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core::BackupPaths");

namespace {

// Runs `fn` with the current directory set to `dir`, restoring it after.
template <typename F> auto in_directory(const fs::path& dir, F&& fn) {
  const auto saved = fs::current_path();
  fs::current_path(dir);
  try {
    auto result = fn();
    fs::current_path(saved);
    return result;
  } catch (...) {
    fs::current_path(saved);
    throw;
  }
}

Code code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("no Error was thrown");
  return Code::generic;
}

} // namespace

TEST_CASE("given spellings of one absolute directory, when normalised, then they are the same") {
  CHECK(normalise_backup_path("/home/me/data") == "/home/me/data");
  CHECK(normalise_backup_path("/home/me/data/") == "/home/me/data");
  CHECK(normalise_backup_path("/home/me/data//") == "/home/me/data");
  CHECK(normalise_backup_path("/home/me/data/.") == "/home/me/data");
  CHECK(normalise_backup_path("/home/me/./data") == "/home/me/data");
  CHECK(normalise_backup_path("/home/me//data") == "/home/me/data");
  CHECK(normalise_backup_path("/home/me/other/../data") == "/home/me/data");
  CHECK(normalise_backup_path("/home/me/data/sub/..") == "/home/me/data");
}

TEST_CASE("given the root, when normalised, then it stays /") {
  CHECK(normalise_backup_path("/") == "/");
  CHECK(normalise_backup_path("/.") == "/");
  CHECK(normalise_backup_path("/..") == "/");
  CHECK(normalise_backup_path("//") == "/");
}

TEST_CASE("given relative paths, when normalised, then they are made absolute against the "
          "current directory") {
  test::TempDir tmp;
  fs::create_directories(tmp / "data");
  const std::string want = (tmp / "data").string();
  const auto got = in_directory(tmp.path(), [] {
    return std::vector<std::string>{
        normalise_backup_path("data"), normalise_backup_path("./data"),
        normalise_backup_path("data/"), normalise_backup_path("data/."),
        normalise_backup_path("../" + fs::current_path().filename().string() + "/data")};
  });
  for (const auto& path : got)
    CHECK(path == want);
  CHECK(in_directory(tmp / "data", [] { return normalise_backup_path("."); }) == want);
}

TEST_CASE("given a symlink, when normalised, then it is not resolved") {
  test::TempDir tmp;
  fs::create_directories(tmp / "real");
  fs::create_directory_symlink(tmp / "real", tmp / "link");
  CHECK(normalise_backup_path((tmp / "link").string() + "/") == (tmp / "link").string());
  // ".." is resolved by text, as restic's filepath.Clean does.
  CHECK(normalise_backup_path((tmp / "link" / "..").string()) == tmp.path().string());
}

TEST_CASE("given an empty path, when normalised, then it is a usage error") {
  CHECK(code_of([] { (void)normalise_backup_path(""); }) == Code::usage);
}

TEST_CASE("given paths, when the snapshot paths are computed, then duplicates go and the order "
          "stays") {
  const auto paths = backup_snapshot_paths({"/b/", "/a", "/b/.", "/a/x/.."}, std::nullopt);
  CHECK(paths == std::vector<std::string>{"/b", "/a"});
}

TEST_CASE("given stdin, when the snapshot paths are computed, then the one path is /NAME") {
  CHECK(backup_snapshot_paths({}, "dump.sql") == std::vector<std::string>{"/dump.sql"});
}

TEST_CASE("given neither paths nor stdin, or both, or a bad stdin name, then a usage error names "
          "the fix") {
  try {
    (void)backup_snapshot_paths({}, std::nullopt);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Code::usage);
    CHECK(std::string(e.what()) == "nothing to back up");
  }
  try {
    (void)backup_snapshot_paths({"/a"}, "stdin");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Code::usage);
    CHECK(std::string(e.what()) == "--stdin cannot be combined with paths");
  }
  CHECK(code_of([] { (void)backup_snapshot_paths({}, "a/b"); }) == Code::usage);
  CHECK(code_of([] { (void)backup_snapshot_paths({}, ".."); }) == Code::usage);
  CHECK(code_of([] { (void)backup_snapshot_paths({""}, std::nullopt); }) == Code::usage);
}

TEST_SUITE_END();
