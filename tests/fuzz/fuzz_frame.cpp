// Frames as a peer sends them (transport/wire/frame.hpp): the first input
// byte sets how many bytes each read returns, the rest is the byte stream.
// Every frame read is written again and must read back the same.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/memory_stream.hpp"
#include "transport/wire/frame.hpp"

using namespace offsite::transport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  offsite::fuzz::MemoryStream stream(data + 1, size - 1, std::size_t{data[0]} * 16 + 1);
  try {
    while (auto frame = read_frame_or_eof(stream, Deadline::never())) {
      std::vector<std::uint8_t> bytes;
      try {
        bytes = encode_frame(*frame);
      } catch (const TransportError&) {
        continue; // re-encoding may outgrow a limit (a CBOR half float becomes a double)
      }
      offsite::fuzz::MemoryStream again(bytes.data(), bytes.size(), bytes.size());
      const Frame copy = read_frame(again, Deadline::never());
      FUZZ_CHECK(copy.op == frame->op && copy.id == frame->id && copy.payload == frame->payload);
      FUZZ_CHECK(copy.header.is_object() && copy.header.size() == frame->header.size());
    }
  } catch (const TransportError&) {
  }
  return 0;
}
