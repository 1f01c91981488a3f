// Object messages (messages_objects.cpp); see fuzz_messages.hpp. A list
// reply is also checked against a request, as the client does.
#include "tests/fuzz/fuzz_messages.hpp"

using namespace offsite::transport::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using offsite::fuzz::round_trip;
  static const std::vector<offsite::fuzz::Decoder> decoders{
      round_trip<PutRequest>(),
      round_trip<PutReply>(),
      round_trip<GetRequest>(),
      round_trip<GetReply>(),
      round_trip<HeadRequest>(),
      round_trip<HeadReply>(),
      round_trip<ListRequest>(),
      round_trip<ListReply>(),
      round_trip<RemoveRequest>(),
      round_trip<RemoveReply>(),
      [](const nlohmann::json& header) {
        const ListReply reply = ListReply::decode(header);
        reply.check_answers(ListRequest{"data/", "data/00", 100});
      }};
  return offsite::fuzz::run_message_target(decoders, data, size);
}
