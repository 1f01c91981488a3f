#pragma once
// One core::Store::list page gathered from as many ListObjectsV2 requests as
// it takes: S3 caps a request at 1000 keys and may answer a truncated page
// with few keys or none, so the continuation is followed until `limit` keys
// are in hand or the store says there are no more; an empty page never ends
// the listing. Pure (the requests are the caller's), so it is unit-tested
// with made-up pages.

#include <functional>
#include <string>

#include "core/store/store.hpp"
#include "server/store/s3_xml.hpp"

namespace offsite::server {

struct S3ListQuery {
  std::string location_prefix; // stripped from every key returned
  std::string prefix;          // full: location_prefix + the caller's prefix
  std::string start_after;     // full, or empty
  std::size_t limit = 0;
};

// fetch(token, want): the page after continuation `token` ("" for the first
// page, which starts after query.start_after), asking for at most `want` keys.
using S3ListFetch = std::function<S3ListResult(const std::string& token, std::size_t want)>;

// Throws MalformedS3Reply for pages that break the listing's rules (a key
// outside the prefix, out of order or not after start_after; a continuation
// token that does not move on; endless empty pages).
core::ListPage collect_list_pages(const S3ListQuery& query, const S3ListFetch& fetch);

} // namespace offsite::server
