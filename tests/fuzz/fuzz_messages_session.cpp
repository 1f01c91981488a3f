// Session and account messages (messages_session.cpp); see fuzz_messages.hpp.
#include "tests/fuzz/fuzz_messages.hpp"

using namespace offsite::transport::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using offsite::fuzz::round_trip;
  static const std::vector<offsite::fuzz::Decoder> decoders{
      round_trip<HelloRequest>(),
      round_trip<HelloReply>(),
      round_trip<RegisterRequest>(),
      round_trip<RegisterReply>(),
      round_trip<AuthRequest>(),
      round_trip<AuthReply>(),
      round_trip<NetworkMapRequest>(),
      round_trip<NetworkMapReply>(),
      round_trip<UnregisterRequest>(),
      round_trip<UnregisterReply>(),
      [](const nlohmann::json& header) {
        offsite::transport::Frame reply{offsite::transport::Op::reply_error, 1, header, {}};
        (void)is_error(reply, error_code::throttled);
      }};
  return offsite::fuzz::run_message_target(decoders, data, size);
}
