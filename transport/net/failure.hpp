#pragma once
// How a connection attempt failed, classified where it happened, so that
// retry, failover and test-connection decide on `kind`, not on message text.

#include <stdexcept>
#include <string>
#include <string_view>

namespace offsite::transport {

enum class FailureKind {
  timeout,
  refused,
  unreachable,
  reset,
  name_resolution, // a proxy's host name did not resolve (data-centre names never are)
  proxy_unreachable,
  proxy_denied,
  proxy_auth,
  tls_untrusted,
  tls_intercepted,
  protocol,
  outside_subnets,
  other,
};

// Stable machine name ("timeout", "tls_intercepted", ...), for JSON and logs.
std::string_view failure_kind_name(FailureKind kind);

struct Failure {
  FailureKind kind = FailureKind::other;
  std::string step;   // "tcp connect", "socks5 handshake", "tls handshake", ...
  std::string detail; // human text, never holding a secret
};

// What every layer throws: the classified Failure plus what() = "step: detail".
class TransportError : public std::runtime_error {
public:
  explicit TransportError(Failure failure);
  TransportError(FailureKind kind, std::string step, std::string detail);

  const Failure& failure() const noexcept { return m_failure; }
  FailureKind kind() const noexcept { return m_failure.kind; }

private:
  Failure m_failure;
};

} // namespace offsite::transport
