#include "cli/remote/server_link.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace offsite::cli {

using transport::Failure;
using transport::FailureKind;
using transport::Frame;
using transport::Op;
namespace wire = transport::wire;
namespace error_code = transport::wire::error_code;

namespace {

// "42 s", "about 17 minutes": how long a throttled client should wait.
std::string describe_wait(std::uint64_t milliseconds) {
  const std::uint64_t seconds = (milliseconds + 999) / 1000;
  if (seconds < 120) return fmt::format("{} s", seconds);
  return fmt::format("about {} minutes", (seconds + 59) / 60);
}

bool inside_subnets(const transport::Endpoint& server,
                    const std::vector<transport::Cidr>& subnets) {
  return std::any_of(subnets.begin(), subnets.end(),
                     [&](const transport::Cidr& subnet) { return subnet.contains(server.host); });
}

std::string subnet_list(const std::vector<transport::Cidr>& subnets) {
  std::string out;
  for (const auto& subnet : subnets)
    out += (out.empty() ? "" : ", ") + subnet.to_string();
  return out.empty() ? "(none)" : out;
}

// Most telling first: what the user must act on beats what may be transient.
int rank(FailureKind kind) {
  switch (kind) {
  case FailureKind::outside_subnets: return 0;
  case FailureKind::tls_intercepted: return 1;
  case FailureKind::tls_untrusted: return 2;
  case FailureKind::protocol: return 3;
  case FailureKind::proxy_auth:
  case FailureKind::proxy_denied:
  case FailureKind::proxy_unreachable:
  case FailureKind::name_resolution: return 4;
  case FailureKind::timeout: return 5;
  default: return 6;
  }
}

} // namespace

wire::HelloReply say_hello(transport::FramePipeline& pipeline) {
  const wire::HelloRequest request{fmt::format("offsite/{}", OFFSITE_VERSION),
                                   wire::k_protocol_version};
  const Frame reply = pipeline.call(request.op, request.encode());
  if (reply.op != Op::reply_ok)
    throw transport::TransportError(
        FailureKind::protocol, "hello",
        fmt::format("the server refused hello: {}",
                    util::printable(transport::error_of(reply).message, k_server_text)));
  wire::HelloReply hello;
  try {
    hello = wire::HelloReply::decode(reply.header);
  } catch (const wire::MessageError& e) {
    throw transport::TransportError(
        FailureKind::protocol, "hello",
        fmt::format("the server's hello reply is malformed: {}", e.failure().detail));
  }
  if (hello.protocol != wire::k_protocol_version)
    throw transport::TransportError(FailureKind::protocol, "hello",
                                    "the server does not speak protocol version 1");
  return hello;
}

std::string failure_advice(FailureKind kind) {
  switch (kind) {
  case FailureKind::timeout:
    return "no answer at all: a packet filter probably drops outbound TCP to port 16384; run "
           "\"offsite firewall-rules\" and give the rules to the firewall's administrator";
  case FailureKind::refused:
    return "the connection was actively refused: the server may be down, or a firewall rejects "
           "port 16384";
  case FailureKind::unreachable:
    return "no route to the server: check this machine's network and default gateway";
  case FailureKind::reset:
    return "the connection was cut: a firewall or proxy may end connections it does not like";
  case FailureKind::name_resolution:
    return "the proxy's host name does not resolve: check its spelling and the DNS";
  case FailureKind::proxy_unreachable:
    return "the proxy itself cannot be reached: check its address and port (--proxy, ALL_PROXY)";
  case FailureKind::proxy_denied:
    return "the proxy refused this destination: its rules must allow TCP port 16384 to the "
           "data centre's subnets (see \"offsite firewall-rules\")";
  case FailureKind::proxy_auth:
    return "the proxy needs credentials, or refused ours: give the user in the proxy URL and "
           "the password with OFFSITE_PROXY_PASSWORD or --proxy-password-file";
  case FailureKind::tls_intercepted:
    return "something on the way presents its own certificate: a TLS-inspecting proxy or "
           "firewall; ask its administrator to exempt the data centre's subnets from inspection "
           "(or check --fingerprint)";
  case FailureKind::tls_untrusted:
    return "the server's certificate does not name this address: check the configured servers";
  case FailureKind::protocol:
    return "something answered that is not an offsite server (a proxy's error page, another "
           "service on the port)";
  case FailureKind::outside_subnets:
    return "this address is outside the data centre's subnets; check the configuration "
           "(offsite config show)";
  case FailureKind::other: break;
  }
  return "see the detail above";
}

std::optional<Link> open_link(const LinkOptions& options, std::size_t first,
                              std::vector<Attempt>& attempts) {
  const std::size_t count = options.servers.size();
  for (std::size_t step = 0; step < count; ++step)
    if (auto link = open_link_to(options, (first + step) % count, attempts)) return link;
  return std::nullopt;
}

std::optional<Link> open_link_to(const LinkOptions& options, std::size_t index,
                                 std::vector<Attempt>& attempts) {
  const auto& server = options.servers.at(index);
  if (!inside_subnets(server, options.subnets)) {
    attempts.push_back({server,
                        {FailureKind::outside_subnets, "address check",
                         fmt::format("{} is outside the data centre's subnets ({}); refused "
                                     "without connecting",
                                     server.to_string(), subnet_list(options.subnets))}});
    return std::nullopt;
  }
  try {
    auto stream =
        options.connector->connect(server, transport::Deadline::after(options.connect_timeout));
    auto pipeline = std::make_shared<transport::FramePipeline>(std::move(stream), options.pipeline);
    auto hello = say_hello(*pipeline);
    return Link{std::move(pipeline), index, std::move(hello)};
  } catch (const transport::TransportError& e) {
    attempts.push_back({server, e.failure()});
    return std::nullopt;
  }
}

void throw_unreachable(std::string_view what, const std::vector<Attempt>& attempts) {
  std::string message = fmt::format("cannot reach {}:", what);
  const Attempt* telling = nullptr;
  for (const auto& attempt : attempts) {
    message += fmt::format("\n  {}: {} ({}: {})", attempt.server.to_string(),
                           transport::failure_kind_name(attempt.failure.kind), attempt.failure.step,
                           attempt.failure.detail);
    if (!telling || rank(attempt.failure.kind) < rank(telling->failure.kind)) telling = &attempt;
  }
  if (!telling) throw Error(Code::config, fmt::format("no servers are configured for {}", what));
  const Code code =
      telling->failure.kind == FailureKind::outside_subnets ? Code::config : Code::no_server;
  std::string hint = failure_advice(telling->failure.kind);
  if (code == Code::no_server) hint += "; \"offsite test-connection\" shows each step";
  throw Error(code, message, hint);
}

void throw_reply_error(const Frame& reply, std::string_view what) {
  const auto error = transport::error_of(reply);
  const std::string message = util::printable(error.message, k_server_text);
  const std::string code = util::printable(error.code, k_server_text);
  // The server answers an unknown account and a wrong secret alike (no
  // enumeration of accounts), so a cancelled account can only be named as
  // one of the two causes.
  if (code == error_code::auth_failed)
    throw Error(Code::auth,
                fmt::format("{}: the data centre refused the account's credentials: the account "
                            "no longer exists (cancelled with \"offsite unregister\", perhaps "
                            "on another machine) or its secret is wrong",
                            what),
                "if the account was cancelled, register again (\"offsite register\"); "
                "otherwise check the account ID and secret in the credentials file");
  if (code == error_code::account_cancelled)
    throw Error(Code::auth,
                fmt::format("{}: the account no longer exists ({}); its backups were deleted with "
                            "it",
                            what, message),
                "this configuration belongs to the cancelled account: register a new one with "
                "\"offsite register\" (with --config-dir DIR, or after moving this machine's "
                "configuration aside)");
  if (code == error_code::throttled) {
    // The server says what it limits (failed logins, registrations) and how
    // long to wait.
    const auto wait_ms = reply.header.value("retry_after_ms", std::uint64_t{60'000});
    throw Error(Code::auth, fmt::format("{}: the data centre refused: {}", what, message),
                fmt::format("try again in {}", describe_wait(wait_ms)));
  }
  if (code == error_code::invite_required || code == error_code::invalid_invite)
    throw Error(Code::auth, fmt::format("{}: {}", what, message),
                "ask the data centre's operator for an invitation code and pass --code CODE");
  if (code == error_code::quota_exceeded)
    throw Error(Code::no_space, fmt::format("{}: {}", what, message),
                "forget and prune old snapshots, or ask the operator for a larger quota");
  if (code == error_code::no_space)
    throw Error(Code::no_space, fmt::format("{}: the server's storage is full", what),
                "try again later; the operator has been told by the server's logs");
  // The one refusal a user of forget, prune or unregister meets on purpose:
  // say whose decision it is and how it is lifted, not just the server's words.
  if (code == error_code::append_only)
    throw Error(Code::auth,
                fmt::format("{}: the account is append-only, so the data centre refuses to "
                            "delete anything",
                            what),
                "only the data centre's operator can lift it (offsited account set ACCOUNT "
                "--append-only off); nothing was deleted by this request");
  if (code == error_code::locked)
    throw Error(Code::locked, message,
                "wait for that command to finish (or pass --retry-lock 10m); if its process is "
                "gone, \"offsite unlock\" removes the lock");
  if (code == error_code::lease_required || code == error_code::lease_lost)
    throw Error(Code::locked, fmt::format("{}: {}", what, message),
                "another command may have taken the repository meanwhile; run this one again");
  // Both servers of the pair answered, but neither could use the data
  // centre's storage (the client tries the other one first): for a script,
  // the data centre cannot serve now, as when no server answers at all.
  if (code == error_code::internal)
    throw Error(Code::no_server, fmt::format("{}: the server answered {}: {}", what, code, message),
                "the data centre's storage failed on its servers; try again later, and tell the "
                "data centre's operator if it lasts (the cause is in the server's log)");
  throw Error(Code::generic, fmt::format("{}: the server answered {}: {}", what, code, message));
}

} // namespace offsite::cli
