#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/store/s3_listing.hpp"

using namespace offsite;
using namespace offsite::server;

namespace {

// A made-up store: the pages it answers, in order, and what it was asked.
struct Pages {
  Pages() = default;
  explicit Pages(std::vector<S3ListResult> p) : pages(std::move(p)) {}
  std::vector<S3ListResult> pages;
  std::vector<std::pair<std::string, std::size_t>> asked; // token, want
  S3ListFetch fetch() {
    return [this](const std::string& token, std::size_t want) {
      asked.emplace_back(token, want);
      REQUIRE(asked.size() <= pages.size());
      return pages[asked.size() - 1];
    };
  }
};

S3ListResult page(std::vector<std::string> keys, std::string next = "") {
  S3ListResult r;
  for (auto& k : keys)
    r.objects.push_back({std::move(k), 1});
  r.truncated = !next.empty();
  r.next_continuation_token = std::move(next);
  return r;
}

std::vector<std::string> keys_of(const core::ListPage& p) {
  std::vector<std::string> out;
  for (const auto& o : p.objects)
    out.push_back(o.key);
  return out;
}

S3ListQuery query(std::size_t limit) { return {"pre/", "pre/a/", "", limit}; }

} // namespace

TEST_SUITE_BEGIN("server::s3_listing");

TEST_CASE("given empty truncated pages between keys, then the listing follows them to the end") {
  Pages store({page({"pre/a/1"}, "t1"), page({}, "t2"), page({}, "t3"), page({"pre/a/2"})});
  const auto got = collect_list_pages(query(10), store.fetch());
  CHECK(keys_of(got) == std::vector<std::string>{"a/1", "a/2"}); // the location prefix stripped
  CHECK_FALSE(got.truncated);
  REQUIRE(store.asked.size() == 4);
  CHECK(store.asked[0] == std::pair<std::string, std::size_t>{"", 10});
  CHECK(store.asked[1] == std::pair<std::string, std::size_t>{"t1", 9});
  CHECK(store.asked[3].first == "t3");
}

TEST_CASE("given a limit above S3's 1000 keys a request, then requests are capped and chained") {
  std::vector<std::string> first, second;
  for (int i = 0; i < 1000; ++i)
    first.push_back("pre/a/" + std::to_string(10000 + i));
  for (int i = 1000; i < 1010; ++i)
    second.push_back("pre/a/" + std::to_string(10000 + i));
  Pages store({page(first, "t1"), page(second, "t2")});
  const auto got = collect_list_pages(query(1010), store.fetch());
  CHECK(got.objects.size() == 1010);
  CHECK(got.truncated); // the store has more
  CHECK(store.asked[0].second == 1000);
  CHECK(store.asked[1].second == 10);
}

TEST_CASE("given exactly the limit and nothing more, then the page is not truncated") {
  Pages store({page({"pre/a/1", "pre/a/2"})});
  const auto got = collect_list_pages(query(2), store.fetch());
  CHECK(got.objects.size() == 2);
  CHECK_FALSE(got.truncated);
}

TEST_CASE("given a store that sends more keys than asked, then the page is cut and truncated") {
  Pages store({page({"pre/a/1", "pre/a/2", "pre/a/3"})});
  const auto got = collect_list_pages(query(2), store.fetch());
  CHECK(keys_of(got) == std::vector<std::string>{"a/1", "a/2"});
  CHECK(got.truncated);
}

TEST_CASE("given a limit of zero, then nothing is asked") {
  Pages store;
  CHECK(collect_list_pages(query(0), store.fetch()).objects.empty());
  CHECK(store.asked.empty());
}

TEST_CASE("given pages that break the rules, then each is a malformed reply") {
  const auto refused = [](Pages store, S3ListQuery q, const std::string& why) {
    try {
      collect_list_pages(q, store.fetch());
      FAIL("accepted");
    } catch (const MalformedS3Reply& e) {
      CHECK(std::string(e.what()).find(why) != std::string::npos);
    }
  };
  refused(Pages({page({"pre/b/1"})}), query(5), "outside the prefix");
  refused(Pages({page({"other/a/1"})}), {"pre/", "", "", 5}, "outside the prefix");
  refused(Pages({page({"pre/a/2", "pre/a/1"})}), query(5), "out of order");
  refused(Pages({page({"pre/a/1"}, "t"), page({"pre/a/1"})}), query(5), "out of order");
  refused(Pages({page({"pre/a/1"})}), {"pre/", "pre/a/", "pre/a/1", 5}, "out of order");
  refused(Pages({page({}, "t"), page({}, "t")}), query(5), "does not move on");
  Pages endless;
  for (int i = 0; i < 1002; ++i)
    endless.pages.push_back(page({}, "t" + std::to_string(i)));
  refused(endless, query(5), "never hold a key");
}

TEST_SUITE_END();
