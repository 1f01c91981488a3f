#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "core/backup/backup_scanner.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core::BackupScanner");

namespace {

void write_file(const fs::path& p, std::size_t size) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << std::string(size, 'x');
  REQUIRE(out.good());
}

void wait_done(const BackupScanner& scanner) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!scanner.done()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

} // namespace

TEST_CASE("given a tree with excludes, a cache directory and symlinks, when scanned, then it "
          "counts what the archiver reads") {
  test::TempDir tmp;
  const fs::path src = tmp / "src";
  fs::create_directories(src / "sub");
  fs::create_directories(src / "cache");
  fs::create_directories(tmp / "outside");
  write_file(src / "a", 100);
  write_file(src / "sub" / "b", 20);
  write_file(src / "skip.tmp", 1000);
  write_file(src / "cache" / "big", 5000);
  {
    std::ofstream tag(src / "cache" / "CACHEDIR.TAG");
    tag << "Signature: 8a477f597d28d172789f06886806bc55\n";
  }
  const auto tag_size = fs::file_size(src / "cache" / "CACHEDIR.TAG");
  write_file(tmp / "outside" / "never", 7000);
  fs::create_directory_symlink(tmp / "outside", src / "link"); // recorded, never followed

  BackupOptions options;
  // A trailing '/', and a path inside another one given, change nothing.
  options.paths = {src.string() + "/", src / "sub"};
  options.excludes.add_pattern("*.tmp");
  options.markers.cachedir_tag = true;
  BackupScanner scanner(options);
  wait_done(scanner);
  CHECK(scanner.files() == 3);
  CHECK(scanner.bytes() == 120 + tag_size);
}

TEST_CASE("given a given path that is a symlink to a directory, when scanned, then nothing below "
          "it is counted") {
  test::TempDir tmp;
  fs::create_directories(tmp / "real");
  write_file(tmp / "real" / "f", 10);
  fs::create_directory_symlink(tmp / "real", tmp / "link");
  BackupOptions options;
  options.paths = {tmp / "link"};
  BackupScanner scanner(options);
  wait_done(scanner);
  CHECK(scanner.files() == 0);
}

TEST_SUITE_END();
