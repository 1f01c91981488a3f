#pragma once
// The shape of the three message targets: the first input byte picks a
// decoder of the family, the rest is one frame as the peer sends it (so the
// header has passed the frame's own checks, as in the programs). A decode
// may only fail with MessageError; what decodes must encode into a header
// that decodes again.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "tests/fuzz/memory_stream.hpp"
#include "transport/wire/frame.hpp"
#include "transport/wire/messages.hpp"

namespace offsite::fuzz {

using Decoder = std::function<void(const nlohmann::json& header)>;

// decode, encode, decode again: the second decode must not throw.
template <typename Message> Decoder round_trip() {
  return [](const nlohmann::json& header) {
    const Message message = Message::decode(header);
    (void)Message::decode(message.encode());
  };
}

inline int run_message_target(const std::vector<Decoder>& decoders, const std::uint8_t* data,
                              std::size_t size) {
  if (size < 1) return 0;
  MemoryStream stream(data + 1, size - 1, size);
  try {
    const transport::Frame frame = transport::read_frame(stream, transport::Deadline::never());
    decoders[data[0] % decoders.size()](frame.header);
  } catch (const transport::TransportError&) {
    // MessageError is one; a frame that does not read is the frame target's.
  }
  return 0;
}

} // namespace offsite::fuzz
