#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "core/backup/files_cache.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::FilesCache");

namespace {

FilesCacheEntry entry(std::uint64_t size, std::uint8_t id_byte, std::size_t n_ids) {
  FilesCacheEntry e;
  e.size = size;
  e.mtime_ns = 1'700'000'000'000'000'001;
  e.ctime_ns = -42;
  e.inode = 0xFFFF'FFFF'FFFF'FFF0ULL;
  for (std::size_t i = 0; i < n_ids; ++i) {
    BlobId id{};
    id.fill(static_cast<std::uint8_t>(id_byte + i));
    e.content.push_back(id);
  }
  return e;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

} // namespace

TEST_CASE("given a missing cache file when loaded then the cache is empty") {
  test::TempDir dir;
  FilesCache cache = FilesCache::load(dir / "nope" / "files");
  CHECK_FALSE(cache.find("/a").has_value());
}

TEST_CASE("given recorded entries when saved and loaded then every field comes back") {
  test::TempDir dir;
  const auto file = dir / "sub" / "dir" / "files"; // parent dirs are created
  const std::string odd_path = std::string("/a/new\nline/\xff\xfe", 14);
  {
    FilesCache cache;
    cache.record("/home/a/big", entry(123456789, 1, 3));
    auto bare = entry(0, 9, 0);
    bare.no_xattrs = true;
    cache.record(odd_path, bare);
    cache.save(file);
  }
  FilesCache loaded = FilesCache::load(file);
  auto e = loaded.find("/home/a/big");
  REQUIRE(e.has_value());
  auto want = entry(123456789, 1, 3);
  CHECK(e->size == want.size);
  CHECK(e->mtime_ns == want.mtime_ns);
  CHECK(e->ctime_ns == want.ctime_ns);
  CHECK(e->inode == want.inode);
  CHECK(e->content == want.content);
  CHECK_FALSE(e->no_xattrs);
  auto odd = loaded.find(odd_path);
  REQUIRE(odd.has_value());
  CHECK(odd->content.empty());
  CHECK(odd->no_xattrs);
  CHECK_FALSE(loaded.find("/home/a").has_value());

  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0); // lists file names: private
  // No temporary files are left behind.
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& ent : std::filesystem::directory_iterator(file.parent_path()))
    ++n;
  CHECK(n == 1);
}

TEST_CASE("given a cache file of version 1 (no flags) when loaded then its entries are used, "
          "their extended attributes unknown") {
  test::TempDir dir;
  const auto file = dir / "files";
  std::string v1 = "OFSFCACH";
  const auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
      v1.push_back(static_cast<char>(v >> (8 * i)));
  };
  const auto u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
      v1.push_back(static_cast<char>(v >> (8 * i)));
  };
  u32(1); // version
  u64(1); // entries
  u32(2);
  v1 += "/f";
  u64(5);  // size
  u64(10); // mtime
  u64(11); // ctime
  u64(12); // inode
  u32(1);
  v1 += std::string(32, '\x07');
  std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a 64, as the format says
  for (unsigned char c : v1) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  u64(h);
  write_all(file, v1);
  const auto e = FilesCache::load(file).find("/f");
  REQUIRE(e.has_value());
  CHECK(e->size == 5);
  CHECK(e->inode == 12);
  CHECK(e->content.size() == 1);
  CHECK_FALSE(e->no_xattrs);
}

TEST_CASE("given a loaded cache when saved then only entries recorded in this run are kept") {
  test::TempDir dir;
  const auto file = dir / "files";
  {
    FilesCache cache;
    cache.record("/deleted", entry(1, 1, 1));
    cache.record("/kept", entry(2, 2, 1));
    cache.save(file);
  }
  {
    FilesCache cache = FilesCache::load(file);
    CHECK(cache.find("/deleted").has_value());
    auto kept = cache.find("/kept");
    REQUIRE(kept.has_value());
    cache.record("/kept", *kept);
    // find() answers from the previous run only.
    cache.record("/new", entry(3, 3, 1));
    CHECK_FALSE(cache.find("/new").has_value());
    cache.save(file);
  }
  FilesCache again = FilesCache::load(file);
  CHECK_FALSE(again.find("/deleted").has_value());
  CHECK(again.find("/kept").has_value());
  CHECK(again.find("/new").has_value());
}

TEST_CASE("given a corrupted or truncated cache file when loaded then the cache is empty") {
  test::TempDir dir;
  const auto file = dir / "files";
  FilesCache cache;
  cache.record("/a", entry(10, 1, 2));
  cache.record("/b", entry(20, 5, 1));
  cache.save(file);
  const std::string good = read_all(file);
  REQUIRE(FilesCache::load(file).find("/a").has_value());

  SUBCASE("one flipped bit") {
    std::string bad = good;
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x10);
    write_all(file, bad);
  }
  SUBCASE("truncated") { write_all(file, good.substr(0, good.size() - 9)); }
  SUBCASE("empty") { write_all(file, ""); }
  SUBCASE("garbage") { write_all(file, std::string(4096, 'x')); }
  SUBCASE("a directory in its place") {
    std::filesystem::remove(file);
    std::filesystem::create_directory(file);
  }
  FilesCache loaded = FilesCache::load(file);
  CHECK_FALSE(loaded.find("/a").has_value());
  CHECK_FALSE(loaded.find("/b").has_value());
}

TEST_CASE("given an existing cache file when saved again then it is replaced whole") {
  test::TempDir dir;
  const auto file = dir / "files";
  FilesCache first;
  for (int i = 0; i < 1000; ++i)
    first.record("/f" + std::to_string(i), entry(1, 1, 4));
  first.save(file);
  FilesCache second;
  second.record("/only", entry(1, 1, 1));
  second.save(file);
  FilesCache loaded = FilesCache::load(file);
  CHECK(loaded.find("/only").has_value());
  CHECK_FALSE(loaded.find("/f1").has_value());
}

TEST_CASE("given a cache when moved then the entries move with it") {
  test::TempDir dir;
  FilesCache a;
  a.record("/x", entry(1, 1, 1));
  a.save(dir / "c");
  FilesCache loaded = FilesCache::load(dir / "c");
  FilesCache moved(std::move(loaded));
  CHECK(moved.find("/x").has_value());
}

TEST_SUITE_END();
