#include "server/store/s3_listing.hpp"

#include <algorithm>

#include "util/printable.hpp"

namespace offsite::server {

namespace {

constexpr std::size_t k_max_keys_per_request = 1000; // S3's cap on max-keys
// S3 needs a few empty pages at most (to skip deleted keys); thousands mean
// a store that never moves on.
constexpr int k_max_empty_pages = 1000;

} // namespace

core::ListPage collect_list_pages(const S3ListQuery& query, const S3ListFetch& fetch) {
  core::ListPage page;
  if (query.limit == 0) return page;
  std::string token;
  std::string last = query.start_after; // full keys must rise above this
  for (int empty_pages = 0;;) {
    const std::size_t want = std::min(query.limit - page.objects.size(), k_max_keys_per_request);
    S3ListResult result = fetch(token, want);
    for (auto& object : result.objects) {
      if (!object.key.starts_with(query.prefix) || !object.key.starts_with(query.location_prefix) ||
          object.key <= last)
        throw MalformedS3Reply("a listed key out of order or outside the prefix: \"" +
                               util::printable(object.key, core::k_key_in_messages) + "\"");
      last = object.key;
      page.objects.push_back({object.key.substr(query.location_prefix.size()), object.size});
    }
    if (page.objects.size() >= query.limit) {
      page.truncated = result.truncated || page.objects.size() > query.limit;
      page.objects.resize(query.limit);
      return page;
    }
    if (!result.truncated) return page;
    if (result.objects.empty() && ++empty_pages > k_max_empty_pages)
      throw MalformedS3Reply("truncated listing pages that never hold a key");
    if (result.next_continuation_token == token)
      throw MalformedS3Reply("a continuation token that does not move on");
    token = std::move(result.next_continuation_token);
  }
}

} // namespace offsite::server
