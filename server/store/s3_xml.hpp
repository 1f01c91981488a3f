#pragma once
// The two XML documents the S3 store reads, parsed with expat (a real
// parser: entities, CDATA and namespaces are its business, not ours):
// ListObjectsV2 results and S3 error bodies.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace offsite::server {

// A reply body that is not the document it should be.
class MalformedS3Reply : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct S3ListedObject {
  std::string key; // as stored, with the location's prefix
  std::uint64_t size = 0;
};

struct S3ListResult {
  std::vector<S3ListedObject> objects; // in the order the store sent them
  bool truncated = false;
  std::string next_continuation_token; // set when truncated
};

// Throws MalformedS3Reply unless `xml` is a ListBucketResult whose every
// Contents has a Key and a decimal Size, IsTruncated is true or false, and a
// truncated result carries a NextContinuationToken.
S3ListResult parse_list_objects_v2(std::string_view xml);

// The <Code> of an S3 <Error> document; empty when the body is not one (a
// HEAD has no body, a proxy may send HTML).
std::string parse_s3_error_code(std::string_view xml);

} // namespace offsite::server
