// Lease messages (messages_leases.cpp); see fuzz_messages.hpp.
#include "tests/fuzz/fuzz_messages.hpp"

using namespace offsite::transport::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using offsite::fuzz::round_trip;
  static const std::vector<offsite::fuzz::Decoder> decoders{
      round_trip<LeaseAcquireRequest>(), round_trip<LeaseRefreshRequest>(),
      round_trip<LeaseReply>(),          round_trip<LeaseReleaseRequest>(),
      round_trip<LeaseReleaseReply>(),   round_trip<LeaseListRequest>(),
      round_trip<LeaseListReply>(),      round_trip<LeaseBreakRequest>(),
      round_trip<LeaseBreakReply>()};
  return offsite::fuzz::run_message_target(decoders, data, size);
}
