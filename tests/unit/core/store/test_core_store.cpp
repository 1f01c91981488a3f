#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>

#include "core/common/error.hpp"
#include "core/store/local_store.hpp"
#include "core/store/store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

namespace {

// A store that returns tiny pages, to exercise list_all's pagination.
class MemoryStore : public Store {
public:
  bool put(std::string_view key, ByteView data) override {
    return m_objects.emplace(std::string(key), Bytes(data.begin(), data.end())).second;
  }
  std::optional<Bytes> get(std::string_view key, std::uint64_t,
                           std::optional<std::uint64_t>) override {
    auto it = m_objects.find(std::string(key));
    if (it == m_objects.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::uint64_t> head(std::string_view key) override {
    auto it = m_objects.find(std::string(key));
    if (it == m_objects.end()) return std::nullopt;
    return it->second.size();
  }
  ListPage list(std::string_view prefix, std::string_view start_after, std::size_t limit) override {
    ++calls;
    ListPage page;
    for (auto it = m_objects.upper_bound(std::string(start_after)); it != m_objects.end(); ++it) {
      if (!it->first.starts_with(prefix)) continue;
      if (page.objects.size() == std::min<std::size_t>(limit, 2)) {
        page.truncated = true;
        break;
      }
      page.objects.push_back({it->first, it->second.size()});
    }
    return page;
  }
  bool remove(std::string_view key) override { return m_objects.erase(std::string(key)) > 0; }
  int calls = 0;

private:
  std::map<std::string, Bytes> m_objects;
};

} // namespace

TEST_SUITE_BEGIN("core::Store");

TEST_CASE("given keys of every shape, is_valid_key accepts only clean relative names") {
  CHECK(is_valid_key("config"));
  CHECK(is_valid_key("data/ab/abcdef"));
  CHECK(is_valid_key("a.b_c-d/E9"));
  CHECK(is_valid_key("..a/b.."));
  CHECK_FALSE(is_valid_key(""));
  CHECK_FALSE(is_valid_key("/abs"));
  CHECK_FALSE(is_valid_key("trailing/"));
  CHECK_FALSE(is_valid_key("a//b"));
  CHECK_FALSE(is_valid_key("a/./b"));
  CHECK_FALSE(is_valid_key("../x"));
  CHECK_FALSE(is_valid_key("x/.."));
  CHECK_FALSE(is_valid_key("."));
  CHECK_FALSE(is_valid_key("a b"));
  CHECK_FALSE(is_valid_key("a\\b"));
  CHECK_FALSE(is_valid_key(std::string_view("a\0b", 3)));
  CHECK_FALSE(is_valid_key("caf\xc3\xa9"));
  CHECK_FALSE(is_valid_key(std::string(256, 'a')));
  CHECK(is_valid_key(std::string(255, 'a')));
}

TEST_CASE("given a store with small pages, when list_all runs, then it follows every page") {
  MemoryStore store;
  for (int i = 0; i < 7; ++i)
    store.put("data/" + std::to_string(i), as_bytes("x"));
  store.put("index/1", as_bytes("y"));
  const auto all = list_all(store, "data/");
  REQUIRE(all.size() == 7);
  for (int i = 0; i < 7; ++i)
    CHECK(all[static_cast<std::size_t>(i)].key == "data/" + std::to_string(i));
  CHECK(store.calls >= 4);
}

TEST_CASE("given a PrefixStore, when objects are stored, then they live under the prefix and lists "
          "strip it") {
  test::TempDir dir;
  LocalStore inner(dir.path());
  PrefixStore a(inner, "accounts/a/");
  PrefixStore b(inner, "accounts/b/");
  CHECK(a.put("data/x", as_bytes("hello")));
  CHECK(b.put("data/x", as_bytes("other")));
  CHECK(inner.head("accounts/a/data/x") == 5u);
  auto got = a.get("data/x", 0, std::nullopt);
  REQUIRE(got);
  CHECK(as_string(*got) == "hello");

  const auto listed = list_all(a, "");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].key == "data/x");
  CHECK(a.list("data/", "data/x", 10).objects.empty());
  CHECK(a.remove("data/x"));
  CHECK_FALSE(a.head("data/x"));
  CHECK(b.head("data/x") == 5u);
}

TEST_CASE(
    "given a PrefixStore, when a key tries to escape, then it is refused with a usage error") {
  test::TempDir dir;
  LocalStore inner(dir.path());
  PrefixStore a(inner, "accounts/a/");
  PrefixStore b(inner, "accounts/b/");
  for (std::string_view bad : {"../b/data/x", "/abs", "a//b", "a/./b", ""}) {
    CAPTURE(bad);
    try {
      a.put(bad, as_bytes("x"));
      FAIL("accepted an invalid key");
    } catch (const Error& e) {
      CHECK(e.code() == Code::usage);
    }
  }
  b.put("secret", as_bytes("s"));
  CHECK(a.list("../b/", "", 10).objects.empty());
  CHECK(a.list("..", "", 10).objects.empty());
  CHECK_THROWS_AS(a.list(std::string_view("a\0", 2), "", 10), Error);
  CHECK_THROWS_AS(PrefixStore(inner, "accounts/a"), Error);
  CHECK_THROWS_AS(PrefixStore(inner, "../"), Error);
  CHECK_THROWS_AS(PrefixStore(inner, "/"), Error);
}

TEST_SUITE_END();
