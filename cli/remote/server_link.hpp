#pragma once
// Reaching the data centre: one of a primary/alternate pair, through the
// configured connector stack (TLS pinned to the data-centre identity over
// direct TCP or a proxy), with the hello exchange done. Shared by
// `register` (the registration pair) and RemoteStore (the storage pair).
//
// Every address is checked against the known subnets before anything is
// sent: a server outside them is refused without a packet leaving.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/network/transport_settings.hpp" // make_connector: the connector stack
#include "core/common/error.hpp"
#include "transport/net/connector.hpp"
#include "transport/net/endpoint.hpp"
#include "transport/net/failure.hpp"
#include "transport/wire/frame_pipeline.hpp"
#include "transport/wire/messages.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

struct LinkOptions {
  std::vector<transport::Endpoint> servers; // primary first, then the alternate
  std::vector<transport::Cidr> subnets;
  std::shared_ptr<transport::Connector> connector; // ends in TLS
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  transport::PipelineOptions pipeline;
};

struct Link {
  std::shared_ptr<transport::FramePipeline> pipeline;
  std::size_t server = 0; // index into LinkOptions::servers
  transport::wire::HelloReply hello;
};

// One failed attempt, for the message when every server failed.
struct Attempt {
  transport::Endpoint server;
  transport::Failure failure;
};

// Connects to servers[first], then the others in order, until one completes
// TLS and hello. Returns nullopt and fills `attempts` when none does.
std::optional<Link> open_link(const LinkOptions& options, std::size_t first,
                              std::vector<Attempt>& attempts);

// The same for servers[index] alone.
std::optional<Link> open_link_to(const LinkOptions& options, std::size_t index,
                                 std::vector<Attempt>& attempts);

// Error(no_server) listing every attempt, with a hint chosen from the most
// telling failure (TLS interception before a timeout before a refusal).
[[noreturn]] void throw_unreachable(std::string_view what, const std::vector<Attempt>& attempts);

// Turns a reply_error frame into the Error a user sees; `what` names the
// operation ("upload data/ab/...").
[[noreturn]] void throw_reply_error(const transport::Frame& reply, std::string_view what);

// The hello exchange on a new connection: the server's reply (its name,
// protocol version and network map). TransportError (protocol) when the
// server refuses it, sends a malformed reply or does not speak protocol 1.
transport::wire::HelloReply say_hello(transport::FramePipeline& pipeline);

// What to do about a failure of this kind, in plain words (the hint of
// every "cannot reach" error, and test-connection's advice).
std::string failure_advice(transport::FailureKind kind);

// How text the server sent is shown, util::printable(text, k_server_text):
// it is untrusted, and clipped to 300 characters.
inline constexpr util::PrintOptions k_server_text{.max_chars = 300};

} // namespace offsite::cli
