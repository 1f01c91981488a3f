// One conformance suite for core::Store (CONVENTIONS.md: written once, run
// against each real implementation): the same cases against the embedded
// local-directory store and against the S3 store on the real Ceph cluster
// of the CTest fixture `ceph` (a fresh prefix per case). What only S3 has
// (a put retried after a lost reply) is at the end.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/common/error.hpp"
#include "core/store/local_store.hpp"
#include "server/store/s3_object_store.hpp"
#include "tests/unit/server/store/s3_test_cluster.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;

namespace {

struct LocalSubject {
  test::TempDir dir;
  core::LocalStore local{dir / "store"};
  core::Store& store() { return local; }
};

struct S3Subject {
  test::S3TestCluster cluster = test::s3_test_cluster();
  server::S3ObjectStore s3{cluster.location, cluster.credentials, {}};
  core::Store& store() { return s3; }
};

Bytes pattern(std::size_t n, unsigned seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>((i * 31 + seed * 7 + (i >> 12)) & 0xff);
  return b;
}

std::string text(const std::optional<Bytes>& b) {
  REQUIRE(b);
  return std::string(as_string(*b));
}

std::vector<std::string> keys_of(const std::vector<core::ObjectInfo>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects)
    out.push_back(o.key);
  return out;
}

// Puts `keys` with 8 threads (a thousand sequential S3 PUTs take a while).
void put_all(core::Store& store, const std::vector<std::string>& keys) {
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (std::size_t i; (i = next++) < keys.size();)
        if (store.put(keys[i], as_bytes(keys[i]))) ++created;
    });
  for (auto& t : threads)
    t.join();
  REQUIRE(created == keys.size());
}

} // namespace

TYPE_TO_STRING(LocalSubject);
TYPE_TO_STRING(S3Subject);

TEST_SUITE_BEGIN("server::store_conformance");

TEST_CASE_TEMPLATE("given a stored key, when it is put again, then the put returns false and the "
                   "object is unchanged",
                   S, LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  CHECK(store.put("data/ab/abc", as_bytes("first")));
  CHECK_FALSE(store.put("data/ab/abc", as_bytes("second, longer")));
  CHECK_FALSE(store.put("data/ab/abc", as_bytes("first")));
  CHECK(text(store.get("data/ab/abc", 0, std::nullopt)) == "first");
  CHECK(store.head("data/ab/abc") == 5u);
}

TEST_CASE_TEMPLATE("given an object of ten bytes, when ranges are read, then each is clipped to "
                   "the end and a range at or past the end is an empty read",
                   S, LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  REQUIRE(store.put("k", as_bytes("0123456789")));
  CHECK(text(store.get("k", 0, std::nullopt)) == "0123456789");
  CHECK(text(store.get("k", 2, 3)) == "234");
  CHECK(text(store.get("k", 0, 1)) == "0");
  CHECK(text(store.get("k", 5, std::nullopt)) == "56789");
  CHECK(text(store.get("k", 8, 10)) == "89");
  CHECK(text(store.get("k", 9, UINT64_MAX)) == "9");
  CHECK(text(store.get("k", 3, 0)).empty());
  CHECK(text(store.get("k", 10, std::nullopt)).empty());
  CHECK(text(store.get("k", 10, 1)).empty());
  CHECK(text(store.get("k", 1000, 5)).empty());
}

TEST_CASE_TEMPLATE("given an empty object, then it exists with size 0 and every read is empty", S,
                   LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  REQUIRE(store.put("empty", ByteView{}));
  CHECK(store.head("empty") == 0u);
  CHECK(text(store.get("empty", 0, std::nullopt)).empty());
  CHECK(text(store.get("empty", 0, 5)).empty());
  CHECK(text(store.get("empty", 3, std::nullopt)).empty());
  CHECK_FALSE(store.put("empty", as_bytes("x")));
}

TEST_CASE_TEMPLATE("given absent keys, when read, sized or removed, then the results say so", S,
                   LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  CHECK_FALSE(store.get("nope", 0, std::nullopt));
  CHECK_FALSE(store.get("nope", 5, 3));
  CHECK_FALSE(store.get("nope", 0, 0));
  CHECK_FALSE(store.head("nope/deeper"));
  CHECK_FALSE(store.remove("nope"));
}

TEST_CASE_TEMPLATE("given a stored key, when it is removed twice, then true then false, and it "
                   "can be created again",
                   S, LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  REQUIRE(store.put("locks/a", as_bytes("one")));
  CHECK(store.remove("locks/a"));
  CHECK_FALSE(store.head("locks/a"));
  CHECK_FALSE(store.get("locks/a", 0, std::nullopt));
  CHECK_FALSE(store.remove("locks/a"));
  CHECK(core::list_all(store, "locks/").empty());
  CHECK(store.put("locks/a", as_bytes("two")));
  CHECK(text(store.get("locks/a", 0, std::nullopt)) == "two");
}

TEST_CASE_TEMPLATE("given invalid keys, then every operation refuses them as a usage error", S,
                   LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  for (const char* key : {"", "/a", "a/", "a//b", "../x", "a b", "a?b"}) {
    CAPTURE(std::string(key));
    const auto usage = [](auto&& call) {
      try {
        call();
        FAIL("accepted");
      } catch (const Error& e) {
        CHECK(e.code() == Code::usage);
      }
    };
    usage([&] { store.put(key, as_bytes("x")); });
    usage([&] { store.get(key, 0, std::nullopt); });
    usage([&] { store.head(key); });
    usage([&] { store.remove(key); });
  }
}

TEST_CASE_TEMPLATE("given keys under several prefixes, when listed by prefix, start_after and "
                   "limit, then the pages are sorted, sized and complete",
                   S, LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  for (const char* key : {"a/3", "a/1", "a/5", "a/2", "a/4", "b/1", "ab/x"})
    REQUIRE(store.put(key, as_bytes(key)));
  REQUIRE(store.put("sized", pattern(1234, 1)));

  auto page = store.list("a/", "", 100);
  CHECK(keys_of(page.objects) == std::vector<std::string>{"a/1", "a/2", "a/3", "a/4", "a/5"});
  CHECK_FALSE(page.truncated);
  CHECK(page.objects[0].size == 3);

  CHECK(keys_of(store.list("a", "", 100).objects) ==
        std::vector<std::string>{"a/1", "a/2", "a/3", "a/4", "a/5", "ab/x"});
  CHECK(keys_of(store.list("", "", 100).objects) ==
        std::vector<std::string>{"a/1", "a/2", "a/3", "a/4", "a/5", "ab/x", "b/1", "sized"});
  CHECK(store.list("sized", "", 10).objects.at(0).size == 1234);
  CHECK(keys_of(store.list("a/", "a/2", 100).objects) ==
        std::vector<std::string>{"a/3", "a/4", "a/5"});
  CHECK(store.list("a/", "a/5", 100).objects.empty());
  CHECK(store.list("zzz/", "", 100).objects.empty());
  CHECK(store.list("a/", "", 0).objects.empty());

  page = store.list("a/", "", 2);
  CHECK(keys_of(page.objects) == std::vector<std::string>{"a/1", "a/2"});
  CHECK(page.truncated);
  page = store.list("a/", "a/2", 2);
  CHECK(keys_of(page.objects) == std::vector<std::string>{"a/3", "a/4"});
  CHECK(page.truncated);
  page = store.list("a/", "a/4", 2);
  CHECK(keys_of(page.objects) == std::vector<std::string>{"a/5"});
  CHECK_FALSE(page.truncated);
  page = store.list("a/", "", 5); // exactly all: nothing more to come
  CHECK(page.objects.size() == 5);
  CHECK_FALSE(page.truncated);
}

TEST_CASE_TEMPLATE("given more than a thousand keys, when listed in large and small pages, then "
                   "every key comes back once, in order",
                   S, LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  std::vector<std::string> keys;
  for (int i = 0; i < 1050; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "many/k%04d", i);
    keys.emplace_back(name);
  }
  put_all(store, keys);
  REQUIRE(store.put("other/x", as_bytes("x")));

  CHECK(keys_of(core::list_all(store, "many/")) == keys);

  auto page = store.list("many/", "", 1010); // more than S3's 1000 a request
  CHECK(page.objects.size() == 1010);
  CHECK(page.truncated);
  CHECK(page.objects.back().key == keys[1009]);
  page = store.list("many/", page.objects.back().key, 1010);
  CHECK(page.objects.size() == 40);
  CHECK_FALSE(page.truncated);

  std::vector<std::string> walked;
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    page = store.list("many/", after, 7);
    for (const auto& o : page.objects)
      walked.push_back(o.key);
    if (!page.truncated) break;
    after = page.objects.back().key;
  }
  CHECK(walked == keys);
}

TEST_CASE_TEMPLATE("given 8 threads putting one key at once, then exactly one put wins and the "
                   "object holds the winner's bytes",
                   S, LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  for (int round = 0; round < 5; ++round) {
    const std::string key = "race/" + std::to_string(round);
    std::atomic<int> winners{0};
    std::atomic<unsigned> winner{0};
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        if (store.put(key, pattern(1000 + t, t))) {
          ++winners;
          winner = t;
        }
      });
    for (auto& th : threads)
      th.join();
    CHECK(winners == 1);
    CHECK(store.get(key, 0, std::nullopt) == pattern(1000 + winner, winner));
  }
}

TEST_CASE_TEMPLATE("given a 20 MiB object, then it round-trips whole and in ranges", S,
                   LocalSubject, S3Subject) {
  S subject;
  core::Store& store = subject.store();
  const Bytes big = pattern(20u << 20, 9);
  REQUIRE(store.put("packs/big", big));
  CHECK(store.head("packs/big") == big.size());
  CHECK(store.get("packs/big", 0, std::nullopt) == big);
  const auto middle = store.get("packs/big", 7u << 20, 3u << 20);
  REQUIRE(middle);
  CHECK(std::equal(middle->begin(), middle->end(), big.begin() + (7 << 20),
                   big.begin() + (10 << 20)));
  CHECK(store.get("packs/big", big.size() - 3, 100) == Bytes(big.end() - 3, big.end()));
  CHECK_FALSE(store.put("packs/big", big)); // 412 after the whole body was sent
}

TEST_CASE("given an S3 put whose reply was lost, when it is retried, then its own bytes count as "
          "created and other bytes do not") {
  S3Subject subject;
  server::S3ObjectStore& s3 = subject.s3;
  // The retry of a put that landed meets 412 and reads the object back.
  CHECK(s3.put_after_lost_reply("data/new", as_bytes("mine")));
  CHECK(s3.put_after_lost_reply("data/new", as_bytes("mine")));
  CHECK_FALSE(s3.put_after_lost_reply("data/new", as_bytes("someone else's")));
  CHECK_FALSE(s3.put_after_lost_reply("data/new", as_bytes("min")));
  CHECK_FALSE(s3.put("data/new", as_bytes("mine"))); // no lost reply: a plain 412
  CHECK(text(s3.get("data/new", 0, std::nullopt)) == "mine");
}

TEST_SUITE_END();
