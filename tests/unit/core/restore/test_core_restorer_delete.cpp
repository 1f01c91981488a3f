#include <doctest/doctest.h>

#include <filesystem>

#include "core/restore/restorer.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core::Restorer delete and dry run");

namespace {

RestoreResult run(test::BackupFixture& f, const std::string& id, const fs::path& target,
                  bool dry_run, bool delete_extra) {
  auto repo = f.open();
  RestoreOptions options;
  options.target = target;
  options.sub_path = f.src.string();
  options.dry_run = dry_run;
  options.delete_extra = delete_extra;
  RestoreReporter reporter;
  return restore(*repo, repo->load_snapshot(id), options, reporter);
}

} // namespace

TEST_CASE("given a missing target, when restoring as a dry run, then nothing is created and the "
          "counts match the real restore") {
  test::BackupFixture f;
  f.put("a", 1);
  f.put("d/b", 2);
  const auto id = f.backup();
  const auto target = f.dir / "target";
  const auto dry = run(f, id, target, true, false);
  CHECK_FALSE(fs::exists(target));
  const auto real = run(f, id, target, false, false);
  CHECK(dry.files == 2);
  CHECK(dry.files == real.files);
  CHECK(dry.dirs == real.dirs);
  CHECK(dry.bytes == real.bytes);
  CHECK(real.overwritten == 0);
  // Again: everything exists now, so a dry run would overwrite both files.
  CHECK(run(f, id, target, true, false).overwritten == 2);
}

TEST_CASE("given extra entries and a symlink pointing out, when restoring with delete, then "
          "exactly the extras go and nothing outside the target is touched") {
  test::BackupFixture f;
  f.put("a", 1);
  f.put("d/b", 2);
  const auto id = f.backup();
  const auto target = f.dir / "target";
  const auto outside = f.dir / "outside";
  test::write_file(outside / "keep", test::file_content(7, 10));
  const auto root = target / "src";
  test::write_file(root / "extra", test::file_content(8, 10));
  test::write_file(root / "d/gone/deep", test::file_content(9, 10));
  fs::create_directory_symlink(outside, root / "d/out");
  test::write_file(target / "beside", test::file_content(10, 10));

  const auto dry = run(f, id, target, true, true);
  CHECK(dry.deleted == 3);
  CHECK(fs::exists(root / "extra"));
  CHECK(fs::is_symlink(root / "d/out"));

  const auto real = run(f, id, target, false, true);
  CHECK(real.deleted == 3);
  CHECK_FALSE(fs::exists(root / "extra"));
  CHECK_FALSE(fs::exists(root / "d/gone"));
  CHECK_FALSE(fs::is_symlink(root / "d/out"));
  CHECK(fs::exists(outside / "keep"));
  CHECK(fs::exists(target / "beside"));
  CHECK(fs::exists(root / "a"));
  CHECK(fs::exists(root / "d/b"));
}
