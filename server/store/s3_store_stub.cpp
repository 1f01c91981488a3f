// TEMPORARY stand-in for the S3 store, so that the configuration of a data
// centre on S3 (issue 17) builds before the store itself is merged. Dropped
// at the merge, when server/store/s3_store.cpp takes its place.
#include "server/store/s3_store.hpp"

#include "core/common/error.hpp"

namespace offsite::server {

std::unique_ptr<core::Store> open_s3_store(const S3Location&, const S3Credentials&,
                                           const S3Tuning&) {
  throw Error(Code::config, "S3 store not built yet");
}

} // namespace offsite::server
