#include "server/serve/request_order.hpp"

#include <algorithm>

#include "transport/wire/messages.hpp"

namespace offsite::server {

namespace wire = transport::wire;
using transport::Op;

namespace {

RequestOrder object(RequestOrder::Kind kind, std::string key) {
  RequestOrder order;
  // The handler's lease checks look "config" up: see the file comment.
  order.kind =
      kind == RequestOrder::Kind::write && key == "config" ? RequestOrder::Kind::barrier : kind;
  order.key = std::move(key);
  return order;
}

bool overlaps(const RequestOrder& a, const RequestOrder& b) {
  if (a.prefix && b.prefix) return a.key.starts_with(b.key) || b.key.starts_with(a.key);
  if (a.prefix) return b.key.starts_with(a.key);
  if (b.prefix) return a.key.starts_with(b.key);
  return a.key == b.key;
}

} // namespace

RequestOrder order_of(const transport::Frame& request) {
  using Kind = RequestOrder::Kind;
  if (!request.header.is_object()) return {};
  try {
    switch (request.op) {
    case Op::put: return object(Kind::write, wire::PutRequest::decode(request.header).key);
    case Op::remove: return object(Kind::write, wire::RemoveRequest::decode(request.header).key);
    case Op::head: return object(Kind::read, wire::HeadRequest::decode(request.header).key);
    case Op::get: {
      const auto asked = wire::GetRequest::decode(request.header);
      auto order = object(Kind::read, asked.key);
      order.reply_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(
          asked.length.value_or(transport::k_max_frame_size), transport::k_max_frame_size));
      return order;
    }
    case Op::list: {
      auto order = object(Kind::read, wire::ListRequest::decode(request.header).prefix);
      order.prefix = true;
      return order;
    }
    default: return {};
    }
  } catch (const std::exception&) {
    return {}; // answered bad_request by the handler, in its turn
  }
}

bool must_follow(const RequestOrder& earlier, const RequestOrder& later) {
  using Kind = RequestOrder::Kind;
  if (earlier.kind == Kind::barrier || later.kind == Kind::barrier) return true;
  if (earlier.kind == Kind::read && later.kind == Kind::read) return false;
  return overlaps(earlier, later);
}

} // namespace offsite::server
