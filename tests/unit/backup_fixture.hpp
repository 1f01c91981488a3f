#pragma once
// A repository in a TempDir with real backups of a small source tree, for
// the tests of prune, check and stats: they need snapshots made the way
// offsite makes them, and a way to see that every one still restores.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "core/backup/archiver.hpp"
#include "core/crypto/crypto.hpp"
#include "core/repo/repository.hpp"
#include "core/restore/restorer.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

namespace offsite::test {

// Deterministic, incompressible content: file n of a test.
inline Bytes file_content(std::uint64_t n, std::size_t size) {
  Bytes out(size);
  std::uint64_t x = n * 0x9e3779b97f4a7c15ull + 1;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  return out;
}

inline Bytes read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

inline void write_file(const std::filesystem::path& path, const Bytes& data) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(f.good());
}

// Files small enough to be one blob each (under the chunker's minimum).
constexpr std::size_t k_file_size = 5000;
// Small packs, so that a handful of files spreads over several packs.
constexpr std::size_t k_test_pack = 16 * 1024;

struct BackupFixture {
  TempDir dir;
  std::filesystem::path root = dir / "repo";
  std::filesystem::path src = dir / "src";
  core::LocalStore store{root};
  core::MasterKey key = core::MasterKey::generate();
  // What each snapshot must restore to: path relative to src -> content.
  std::map<std::string, std::map<std::string, Bytes>> expected;

  BackupFixture() {
    core::Repository::init(store, key, "pw", core::crypto::ScryptParams{1 << 10, 8, 1});
    std::filesystem::create_directories(src);
  }

  std::unique_ptr<core::Repository> open(core::Store& s, std::size_t pack_size = k_test_pack) {
    auto repo = std::make_unique<core::Repository>(s, key, core::RepositoryOptions{3, pack_size});
    repo->load_index();
    return repo;
  }
  std::unique_ptr<core::Repository> open(std::size_t pack_size = k_test_pack) {
    return open(store, pack_size);
  }

  void put(const std::string& name, std::uint64_t n) {
    write_file(src / name, file_content(n, k_file_size));
  }
  void drop(const std::string& name) { std::filesystem::remove(src / name); }

  // Backs src up as it is now; returns the snapshot ID.
  std::string backup(std::size_t pack_size = k_test_pack) {
    auto repo = open(pack_size);
    core::BackupOptions options;
    options.paths = {src};
    options.threads = 1;
    options.host = "test";
    core::BackupReporter reporter;
    const auto result = core::backup(*repo, nullptr, options, reporter);
    auto& files = expected[result.snapshot_id];
    for (const auto& e : std::filesystem::recursive_directory_iterator(src))
      if (e.is_regular_file())
        files[std::filesystem::relative(e.path(), src).string()] = read_file(e.path());
    return result.snapshot_id;
  }

  void forget(const std::string& id) {
    REQUIRE(store.remove("snapshots/" + id));
    expected.erase(id);
  }

  // Every remaining snapshot restores exactly what was backed up.
  void require_restorable(core::Store& s) {
    auto repo = open(s);
    for (const auto& [id, files] : expected) {
      const auto target = dir / ("restore-" + id.substr(0, 8));
      std::filesystem::remove_all(target);
      core::RestoreOptions options;
      options.target = target;
      core::RestoreReporter reporter;
      core::restore(*repo, repo->load_snapshot(id), options, reporter);
      std::map<std::string, Bytes> got;
      const auto base = target / src.relative_path();
      for (const auto& e : std::filesystem::recursive_directory_iterator(base))
        if (e.is_regular_file())
          got[std::filesystem::relative(e.path(), base).string()] = read_file(e.path());
      CHECK_MESSAGE(got == files, "snapshot " << id << " restores differently");
    }
  }
  void require_restorable() { require_restorable(store); }

  std::size_t count(std::string_view prefix) { return core::list_all(store, prefix).size(); }
  std::uint64_t stored_bytes() {
    std::uint64_t total = 0;
    for (const auto& o : core::list_all(store, "data/"))
      total += o.size;
    return total;
  }
};

} // namespace offsite::test
