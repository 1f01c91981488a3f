#include "transport/proxy/proxy_connector.hpp"

#include <utility>

#include <fmt/format.h>

namespace offsite::transport {

namespace {

std::string_view kind_phrase(FailureKind kind) {
  switch (kind) {
  case FailureKind::timeout: return "no answer (timed out)";
  case FailureKind::refused: return "connection refused";
  case FailureKind::unreachable: return "unreachable";
  case FailureKind::reset: return "connection reset";
  case FailureKind::name_resolution: return "host name not found";
  default: return failure_kind_name(kind);
  }
}

[[noreturn]] void rethrow_under(const TransportError& error, const char* step,
                                const std::string& who) {
  const Failure& inner = error.failure();
  std::string detail;
  switch (inner.kind) {
  case FailureKind::timeout:
    detail = fmt::format("{} did not answer before the deadline", who);
    break;
  case FailureKind::reset:
    detail = fmt::format("{} broke the connection ({})", who, inner.detail);
    break;
  default: detail = fmt::format("{}: {}", who, inner.detail); break;
  }
  throw TransportError(inner.kind, step, std::move(detail));
}

} // namespace

ProxyConnector::ProxyConnector(std::shared_ptr<Connector> inner) : m_inner(std::move(inner)) {}

Failure ProxyConnector::first_hop_failure(const Failure& inner, const Endpoint& destination) const {
  switch (inner.kind) {
  case FailureKind::timeout:
  case FailureKind::refused:
  case FailureKind::unreachable:
  case FailureKind::reset:
  case FailureKind::name_resolution: break;
  default: return inner;
  }
  const FailureKind kind = inner.kind == FailureKind::name_resolution
                               ? FailureKind::name_resolution
                               : FailureKind::proxy_unreachable;
  return Failure{kind, fmt::format("{} proxy connect", layer()),
                 fmt::format("proxy {}: {}; {}", first_hop(destination).to_string(),
                             kind_phrase(inner.kind), inner.detail)};
}

std::unique_ptr<Stream> ProxyConnector::connect(const Endpoint& destination, Deadline deadline) {
  const Endpoint hop = first_hop(destination);
  std::unique_ptr<Stream> stream;
  try {
    stream = m_inner->connect(hop, deadline);
  } catch (const TransportError& e) {
    throw TransportError(first_hop_failure(e.failure(), destination));
  }
  return handshake(std::move(stream), destination, deadline);
}

namespace detail {

void proxy_write(Stream& stream, ByteSpan data, Deadline deadline, const char* step,
                 const std::string& who) {
  try {
    stream.write_all(data, deadline);
  } catch (const TransportError& e) {
    rethrow_under(e, step, who);
  }
}

std::size_t proxy_read_some(Stream& stream, MutableSpan buffer, Deadline deadline, const char* step,
                            const std::string& who) {
  try {
    return stream.read_some(buffer, deadline);
  } catch (const TransportError& e) {
    rethrow_under(e, step, who);
  }
}

void proxy_read_exact(Stream& stream, MutableSpan buffer, Deadline deadline, const char* step,
                      const std::string& who) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    std::size_t got = proxy_read_some(stream, buffer.subspan(done), deadline, step, who);
    if (got == 0) {
      throw TransportError(
          FailureKind::reset, step,
          done == 0 ? fmt::format("{} closed the connection without answering", who)
                    : fmt::format("{} closed the connection in the middle of its answer (after "
                                  "{} of {} bytes)",
                                  who, done, buffer.size()));
    }
    done += got;
  }
}

} // namespace detail

} // namespace offsite::transport
