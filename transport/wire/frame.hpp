#pragma once
// The wire format both programs speak, inside the TLS session. One frame:
//
//   offset  size  field
//   0       4     body length B, big-endian: the bytes after this field
//   4       1     version = 1
//   5       1     op (Op below)
//   6       4     request id, big-endian (a reply carries its request's id,
//                 so requests can be pipelined and replies matched)
//   10      4     header length H, big-endian
//   14      H     header: a CBOR map (nlohmann::json::to_cbor), definite
//                 lengths, no tags, nesting depth <= 32, at most
//                 k_max_header_items values
//   14+H    B-10-H payload: raw bytes (object data), may be empty
//
// Limits are checked before anything is allocated: B <= the reader's
// maximum (k_max_frame_size by default: a 64 MiB pack plus headroom),
// H <= k_max_header_size. Every violation — wrong version, unknown op,
// inconsistent lengths, malformed CBOR, a connection closed mid-frame — is
// a TransportError of kind protocol; the reader then drops the connection.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "transport/net/stream.hpp"

namespace offsite::transport {

enum class Op : std::uint8_t {
  hello = 1,
  register_account = 2,
  auth = 3,
  put = 4,
  get = 5,
  head = 6,
  list = 7,
  remove = 8,
  network_map = 9,
  lease_acquire = 10,
  lease_refresh = 11,
  lease_release = 12,
  lease_list = 13,
  lease_break = 14,
  unregister = 15,
  reply_ok = 0x80,
  reply_error = 0x81,
};

// "put", "reply_error", ...; "op 0xNN" for values outside the enum.
std::string op_name(Op op);
std::optional<Op> op_from_byte(std::uint8_t byte);

// The data centre's one TCP port (PRODUCT.md §1): the default wherever a
// server address is given without one, on both sides.
inline constexpr std::uint16_t k_service_port = 16384;
inline constexpr std::uint8_t k_frame_version = 1;
inline constexpr std::size_t k_frame_head_size = 14; // length prefix + fixed fields
inline constexpr std::size_t k_max_frame_size = (64u << 20) + (64u << 10);
inline constexpr std::size_t k_max_header_size = 1u << 20;
inline constexpr std::size_t k_max_header_depth = 32;
// Values in one header (map keys count): a list reply of k_max_list_limit
// objects holds about 3,000.
inline constexpr std::size_t k_max_header_items = 65536;

struct Frame {
  Op op = Op::hello;
  std::uint32_t id = 0;
  nlohmann::json header = nlohmann::json::object();
  std::vector<std::uint8_t> payload;
};

// Writes one frame. Throws TransportError (protocol, step "write frame")
// when the header is not a JSON object or the frame would exceed
// `max_size`; the stream's own failures otherwise.
void write_frame(Stream& stream, Op op, std::uint32_t id, const nlohmann::json& header,
                 ByteSpan payload, Deadline deadline, std::size_t max_size = k_max_frame_size);
void write_frame(Stream& stream, const Frame& frame, Deadline deadline,
                 std::size_t max_size = k_max_frame_size);

// Reads one frame; nullopt when the peer closed the connection cleanly
// between frames. Protocol failures as described at the top of this file.
std::optional<Frame> read_frame_or_eof(Stream& stream, Deadline deadline,
                                       std::size_t max_size = k_max_frame_size);
// Same, but a close between frames is a reset failure too.
Frame read_frame(Stream& stream, Deadline deadline, std::size_t max_size = k_max_frame_size);

// The encoding of one frame in memory (tests, and peers that batch writes).
std::vector<std::uint8_t> encode_frame(const Frame& frame);

// Replies. An error reply's header is {"code": stable id, "message": text}.
Frame make_reply_ok(std::uint32_t id, nlohmann::json header = nlohmann::json::object(),
                    std::vector<std::uint8_t> payload = {});
Frame make_reply_error(std::uint32_t id, std::string_view code, std::string_view message);

struct ErrorReply {
  std::string code;
  std::string message;
};
// The code and message of a reply_error frame (empty strings when absent).
ErrorReply error_of(const Frame& reply);

} // namespace offsite::transport
