#include "transport/wire/frame.hpp"

#include <fmt/format.h>

#include "util/cbor_shape.hpp"

namespace offsite::transport {

namespace {

constexpr const char* k_read_step = "read frame";
constexpr const char* k_write_step = "write frame";

[[noreturn]] void protocol(const char* step, std::string detail) {
  throw TransportError(FailureKind::protocol, step, std::move(detail));
}

void put_u32(std::uint8_t* out, std::uint32_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t get_u32(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

// The head (length prefix, fixed fields, CBOR header) of a frame whose
// payload has `payload_size` bytes.
std::vector<std::uint8_t> encode_head(Op op, std::uint32_t id, const nlohmann::json& header,
                                      std::size_t payload_size, std::size_t max_size) {
  if (!header.is_object()) protocol(k_write_step, "a frame header must be a map");
  std::vector<std::uint8_t> cbor = nlohmann::json::to_cbor(header);
  if (cbor.size() > k_max_header_size) {
    protocol(k_write_step, fmt::format("the frame header of {} bytes exceeds the limit of {}",
                                       cbor.size(), k_max_header_size));
  }
  std::size_t body = k_frame_head_size - 4 + cbor.size() + payload_size;
  if (body > max_size) {
    protocol(k_write_step, fmt::format("a {} frame of {} bytes exceeds the limit of {}",
                                       op_name(op), body, max_size));
  }
  std::vector<std::uint8_t> head(k_frame_head_size);
  put_u32(head.data(), static_cast<std::uint32_t>(body));
  head[4] = k_frame_version;
  head[5] = static_cast<std::uint8_t>(op);
  put_u32(head.data() + 6, id);
  put_u32(head.data() + 10, static_cast<std::uint32_t>(cbor.size()));
  head.insert(head.end(), cbor.begin(), cbor.end());
  return head;
}

std::optional<Frame> read_frame_impl(Stream& stream, Deadline deadline, std::size_t max_size) {
  std::uint8_t head[k_frame_head_size];
  std::size_t got = stream.read_some(MutableSpan(head, sizeof head), deadline);
  if (got == 0) return std::nullopt;
  stream.read_exact(MutableSpan(head + got, sizeof head - got), deadline, FailureKind::protocol,
                    k_read_step);

  std::uint32_t body = get_u32(head);
  if (body < k_frame_head_size - 4)
    protocol(k_read_step,
             fmt::format("a frame of {} bytes is shorter than its fixed fields", body));
  if (body > max_size)
    protocol(k_read_step,
             fmt::format("a frame of {} bytes exceeds the limit of {} bytes", body, max_size));
  if (head[4] != k_frame_version) {
    protocol(k_read_step, fmt::format("unsupported frame version {} (this program speaks {})",
                                      head[4], k_frame_version));
  }
  auto op = op_from_byte(head[5]);
  if (!op) protocol(k_read_step, fmt::format("unknown operation code 0x{:02x}", head[5]));
  std::uint32_t header_size = get_u32(head + 10);
  if (header_size > body - (k_frame_head_size - 4)) {
    protocol(k_read_step, fmt::format("a header of {} bytes does not fit a frame of {} bytes",
                                      header_size, body));
  }
  if (header_size > k_max_header_size) {
    protocol(k_read_step, fmt::format("a frame header of {} bytes exceeds the limit of {}",
                                      header_size, k_max_header_size));
  }

  Frame frame;
  frame.op = *op;
  frame.id = get_u32(head + 6);
  std::vector<std::uint8_t> cbor(header_size);
  stream.read_exact(cbor, deadline, FailureKind::protocol, k_read_step);
  frame.payload.resize(body - (k_frame_head_size - 4) - header_size);
  stream.read_exact(frame.payload, deadline, FailureKind::protocol, k_read_step);

  if (!util::is_shallow_cbor(cbor, k_max_header_depth, k_max_header_items))
    protocol(k_read_step, "the frame header is not valid CBOR, or too deep or too large to decode");
  frame.header = nlohmann::json::from_cbor(cbor, /*strict=*/true, /*allow_exceptions=*/false);
  if (frame.header.is_discarded()) protocol(k_read_step, "the frame header is not valid CBOR");
  if (!frame.header.is_object()) protocol(k_read_step, "the frame header is not a CBOR map");
  return frame;
}

} // namespace

std::string op_name(Op op) {
  switch (op) {
  case Op::hello: return "hello";
  case Op::register_account: return "register_account";
  case Op::auth: return "auth";
  case Op::put: return "put";
  case Op::get: return "get";
  case Op::head: return "head";
  case Op::list: return "list";
  case Op::remove: return "remove";
  case Op::network_map: return "network_map";
  case Op::lease_acquire: return "lease_acquire";
  case Op::lease_refresh: return "lease_refresh";
  case Op::lease_release: return "lease_release";
  case Op::lease_list: return "lease_list";
  case Op::lease_break: return "lease_break";
  case Op::unregister: return "unregister";
  case Op::reply_ok: return "reply_ok";
  case Op::reply_error: return "reply_error";
  }
  return fmt::format("op 0x{:02x}", static_cast<unsigned>(op));
}

std::optional<Op> op_from_byte(std::uint8_t byte) {
  if ((byte >= 1 && byte <= 15) || byte == 0x80 || byte == 0x81) return static_cast<Op>(byte);
  return std::nullopt;
}

void write_frame(Stream& stream, Op op, std::uint32_t id, const nlohmann::json& header,
                 ByteSpan payload, Deadline deadline, std::size_t max_size) {
  std::vector<std::uint8_t> head = encode_head(op, id, header, payload.size(), max_size);
  // Small frames go out in one write (one TLS record, one segment); large
  // payloads are not copied.
  constexpr std::size_t k_coalesce = 64u << 10;
  if (payload.size() <= k_coalesce) {
    head.insert(head.end(), payload.begin(), payload.end());
    stream.write_all(head, deadline);
    return;
  }
  stream.write_all(head, deadline);
  stream.write_all(payload, deadline);
}

void write_frame(Stream& stream, const Frame& frame, Deadline deadline, std::size_t max_size) {
  write_frame(stream, frame.op, frame.id, frame.header, frame.payload, deadline, max_size);
}

std::optional<Frame> read_frame_or_eof(Stream& stream, Deadline deadline, std::size_t max_size) {
  return read_frame_impl(stream, deadline, max_size);
}

Frame read_frame(Stream& stream, Deadline deadline, std::size_t max_size) {
  auto frame = read_frame_impl(stream, deadline, max_size);
  if (!frame)
    throw TransportError(FailureKind::reset, k_read_step, "the peer closed the connection");
  return std::move(*frame);
}

std::vector<std::uint8_t> encode_frame(const Frame& frame) {
  std::vector<std::uint8_t> bytes =
      encode_head(frame.op, frame.id, frame.header, frame.payload.size(), k_max_frame_size);
  bytes.insert(bytes.end(), frame.payload.begin(), frame.payload.end());
  return bytes;
}

Frame make_reply_ok(std::uint32_t id, nlohmann::json header, std::vector<std::uint8_t> payload) {
  return Frame{Op::reply_ok, id, std::move(header), std::move(payload)};
}

Frame make_reply_error(std::uint32_t id, std::string_view code, std::string_view message) {
  return Frame{Op::reply_error, id, {{"code", code}, {"message", message}}, {}};
}

ErrorReply error_of(const Frame& reply) {
  ErrorReply error;
  if (auto it = reply.header.find("code"); it != reply.header.end() && it->is_string())
    error.code = it->get<std::string>();
  if (auto it = reply.header.find("message"); it != reply.header.end() && it->is_string())
    error.message = it->get<std::string>();
  return error;
}

} // namespace offsite::transport
