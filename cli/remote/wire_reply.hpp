#pragma once
// The client's side of a typed exchange (transport/wire/messages.hpp):
// sending a request struct, and turning a reply frame into its struct or
// into the Error a user sees.
#include <string_view>

#include "cli/remote/server_link.hpp"
#include "transport/wire/frame_pipeline.hpp"
#include "transport/wire/messages.hpp"

namespace offsite::cli {

// Error(generic) "the server sent a malformed reply to <what>", naming the
// field that broke its rule (never its value).
[[noreturn]] void throw_malformed_reply(std::string_view what,
                                        const transport::wire::MessageError& error);

// The reply decoded; an error reply throws as throw_reply_error does, a
// malformed one as throw_malformed_reply.
template <class Reply> Reply decode_reply(const transport::Frame& reply, std::string_view what) {
  if (reply.op != transport::Op::reply_ok) throw_reply_error(reply, what);
  try {
    return Reply::decode(reply.header);
  } catch (const transport::wire::MessageError& e) {
    throw_malformed_reply(what, e);
  }
}

// Sends one request on `pipeline` and waits for its reply (FramePipeline::call).
template <class Request>
transport::Frame call(transport::FramePipeline& pipeline, const Request& request,
                      transport::ByteSpan payload = {}) {
  return pipeline.call(Request::op, request.encode(), payload);
}

} // namespace offsite::cli
