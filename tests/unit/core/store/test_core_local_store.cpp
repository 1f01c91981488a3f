#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/resource.h>

#include "core/common/error.hpp"
#include "core/store/local_store.hpp"
#include "core/store/storage_faults.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}

std::size_t count_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) ++n;
  return n;
}

} // namespace

TEST_SUITE_BEGIN("core::LocalStore");

TEST_CASE("given an empty store, when a key is put twice, then the first wins and the second "
          "returns false") {
  test::TempDir dir;
  LocalStore store(dir / "repo");
  CHECK(store.put("data/ab/abc", as_bytes("first")));
  CHECK_FALSE(store.put("data/ab/abc", as_bytes("second")));
  auto got = store.get("data/ab/abc", 0, std::nullopt);
  REQUIRE(got);
  CHECK(as_string(*got) == "first");
  CHECK(store.head("data/ab/abc") == 5u);
  // No temporary files are left behind by either put.
  CHECK(count_files(dir / "repo" / "tmp") == 0);
  CHECK(std::filesystem::is_regular_file(dir / "repo" / "data" / "ab" / "abc"));
}

TEST_CASE("given an empty object, when it is put and read, then it exists with size 0") {
  test::TempDir dir;
  LocalStore store(dir.path());
  CHECK(store.put("empty", ByteView{}));
  CHECK(store.head("empty") == 0u);
  auto got = store.get("empty", 0, std::nullopt);
  REQUIRE(got);
  CHECK(got->empty());
}

TEST_CASE("given missing keys, when read or removed, then the results say so without throwing") {
  test::TempDir dir;
  LocalStore store(dir.path());
  CHECK_FALSE(store.get("nope", 0, std::nullopt));
  CHECK_FALSE(store.head("nope/deeper"));
  CHECK_FALSE(store.remove("nope"));
  store.put("file", as_bytes("x"));
  CHECK_FALSE(store.get("file/below", 0, std::nullopt)); // ENOTDIR is "missing" too
  store.put("dir/x", as_bytes("x"));
  CHECK_FALSE(store.head("dir"));
  CHECK_FALSE(store.remove("dir"));
}

TEST_CASE("given many threads putting the same key, then exactly one put succeeds and the object "
          "is whole") {
  test::TempDir dir;
  LocalStore store(dir.path());
  constexpr int k_threads = 16;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  threads.reserve(k_threads);
  for (int t = 0; t < k_threads; ++t)
    threads.emplace_back([&, t] {
      Bytes data(100000, static_cast<std::uint8_t>(t));
      if (store.put("data/00/same", data)) ++winners;
    });
  for (auto& th : threads)
    th.join();
  CHECK(winners.load() == 1);
  auto got = store.get("data/00/same", 0, std::nullopt);
  REQUIRE(got);
  REQUIRE(got->size() == 100000);
  // Every byte comes from the same writer: no mix of two puts.
  CHECK(std::all_of(got->begin(), got->end(), [&](std::uint8_t b) { return b == (*got)[0]; }));
  CHECK(count_files(dir / "tmp") == 0);
}

TEST_CASE(
    "given an object, when byte ranges are read, then they are exact and clipped at the end") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const Bytes data = pattern(10000);
  store.put("obj", data);
  auto mid = store.get("obj", 1234, 100);
  REQUIRE(mid);
  CHECK(*mid == Bytes(data.begin() + 1234, data.begin() + 1334));
  auto tail = store.get("obj", 9990, 100);
  REQUIRE(tail);
  CHECK(*tail == Bytes(data.begin() + 9990, data.end()));
  auto rest = store.get("obj", 5000, std::nullopt);
  REQUIRE(rest);
  CHECK(*rest == Bytes(data.begin() + 5000, data.end()));
  auto past = store.get("obj", 20000, 10);
  REQUIRE(past);
  CHECK(past->empty());
  auto zero = store.get("obj", 10, 0);
  REQUIRE(zero);
  CHECK(zero->empty());
}

TEST_CASE("given many keys, when listed page by page, then every key comes once, sorted, filtered "
          "by prefix") {
  test::TempDir dir;
  LocalStore store(dir.path());
  std::vector<std::string> expected;
  for (int i = 0; i < 40; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "data/%02x/pack%03d", i % 5, i);
    store.put(name, as_bytes("x"));
    expected.push_back(name);
  }
  // Names that sort around the '/' separator: "a-b" < "a/x" < "a0".
  for (const char* k : {"a/x", "a-b", "a0", "a/y/z", "ab"})
    store.put(k, as_bytes("yy"));
  store.put("index/one", as_bytes("zzz"));
  std::sort(expected.begin(), expected.end());

  std::vector<std::string> got;
  std::string after;
  int pages = 0;
  for (;;) {
    ListPage page = store.list("data/", after, 7);
    ++pages;
    for (const auto& o : page.objects) {
      got.push_back(o.key);
      CHECK(o.size == 1);
    }
    if (!page.truncated) break;
    REQUIRE(page.objects.size() == 7);
    after = got.back();
  }
  CHECK(got == expected);
  CHECK(pages == 6);

  std::vector<std::string> a_keys;
  for (const auto& o : list_all(store, "a"))
    a_keys.push_back(o.key);
  CHECK(a_keys == std::vector<std::string>{"a-b", "a/x", "a/y/z", "a0", "ab"});

  // A partial last segment filters too; the temp dir never shows.
  const auto d01 = list_all(store, "data/01/pack00");
  REQUIRE(d01.size() == 2);
  CHECK(d01[0].key == "data/01/pack001");
  CHECK(d01[1].key == "data/01/pack006");
  for (const auto& o : list_all(store, ""))
    CHECK_FALSE(o.key.starts_with("tmp"));
  CHECK(list_all(store, "").size() == 46);
  CHECK(list_all(store, "nothing/").empty());
  CHECK(list_all(store, "../").empty());
}

TEST_CASE("given invalid keys, when used, then every operation refuses them with a usage error") {
  test::TempDir dir;
  LocalStore store(dir / "root");
  for (std::string_view bad :
       {"../x", "/abs", "a//b", "a/./b", "a/../../x", "", "x/", "tmp/put-1", "a b"}) {
    CAPTURE(bad);
    auto expect_usage = [&](auto&& fn) {
      try {
        fn();
        FAIL("accepted an invalid key");
      } catch (const Error& e) {
        CHECK(e.code() == Code::usage);
      }
    };
    expect_usage([&] { store.put(bad, as_bytes("x")); });
    expect_usage([&] { store.get(bad, 0, std::nullopt); });
    expect_usage([&] { store.head(bad); });
    expect_usage([&] { store.remove(bad); });
  }
  CHECK_FALSE(std::filesystem::exists(dir / "x"));
  CHECK_FALSE(std::filesystem::exists("/abs"));
}

TEST_CASE("given an object, when removed, then it is gone and can be created again") {
  test::TempDir dir;
  LocalStore store(dir.path());
  store.put("locks/l1", as_bytes("a"));
  CHECK(store.remove("locks/l1"));
  CHECK_FALSE(store.head("locks/l1"));
  CHECK(list_all(store, "locks/").empty());
  CHECK(store.put("locks/l1", as_bytes("b")));
}

TEST_CASE("given two LocalStore instances on one directory, then they see each other's objects") {
  test::TempDir dir;
  LocalStore one(dir.path());
  LocalStore two(dir.path());
  CHECK(one.put("k", as_bytes("v")));
  CHECK_FALSE(two.put("k", as_bytes("w")));
  CHECK(two.get("k", 0, std::nullopt) == Bytes{'v'});
}

TEST_CASE("given a write that fails midway, when put throws, then no object and no temporary file "
          "remain") {
  test::TempDir dir;
  LocalStore store(dir.path());
  // A file size limit makes write() fail after 4 KiB, as a full disk would
  // (EFBIG instead of ENOSPC, but the same path through put()).
  struct rlimit old {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  bool threw = false;
  try {
    store.put("data/00/big", pattern(100000));
  } catch (const Error& e) {
    threw = true;
    CHECK(std::string(e.what()).find("big") != std::string::npos);
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  CHECK(threw);
  CHECK_FALSE(store.head("data/00/big"));
  CHECK(count_files(dir / "tmp") == 0);
  CHECK(store.put("data/00/big", pattern(100000)));
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("core::LocalStore faults");

namespace {

// put() under one injected fault: it throws, leaves no object and no
// temporary file, and a retry stores the object (not "already exists").
void check_failed_put_leaves_nothing(const char* spec) {
  CAPTURE(spec);
  test::TempDir dir;
  StorageFaults faults(spec);
  LocalStore store(dir.path(), faults);
  CHECK_THROWS_AS(store.put("data/ab/object", pattern(5000)), Error);
  CHECK_FALSE(store.head("data/ab/object"));
  CHECK_FALSE(std::filesystem::exists(dir / "data/ab/object"));
  CHECK(count_files(dir / "tmp") == 0);
  CHECK(store.put("data/ab/object", pattern(5000)));
  CHECK(store.get("data/ab/object", 0, std::nullopt) == pattern(5000));
}

} // namespace

TEST_CASE("given a failing open, write, fsync, mkdir or link, when put runs, then it throws and "
          "nothing is visible") {
  for (const char* spec : {"open:1", "write:1", "fsync:1", "mkdir:1", "rename:1"})
    check_failed_put_leaves_nothing(spec);
}

TEST_CASE("given a failing directory fsync after the link, when put runs, then the object is "
          "taken back and a retry stores it") {
  // The first directory syncs are the new data/ and data/ab/ (mkdir -p); the
  // third is the one after the link.
  check_failed_put_leaves_nothing("dirsync:3");
  test::TempDir dir;
  StorageFaults faults("dirsync:4:ENOSPC");
  LocalStore store(dir.path(), faults);
  REQUIRE(store.put("data/ab/first", pattern(10)));
  try {
    store.put("data/ab/second", pattern(10));
    FAIL("the put did not fail");
  } catch (const Error& e) {
    CHECK(e.code() == Code::no_space);
  }
  CHECK_FALSE(store.head("data/ab/second"));
}

TEST_SUITE_END();
