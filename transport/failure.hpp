#pragma once
// How a connection attempt failed, classified where it happened, so that
// retry, failover and test-connection decide on `kind`, not on message text.

#include <string>
#include <string_view>

namespace offsite::transport {

enum class FailureKind {
  timeout,
  refused,
  unreachable,
  reset,
  proxy_unreachable,
  proxy_denied,
  proxy_auth,
  tls_untrusted,
  tls_intercepted,
  protocol,
  outside_subnets,
  other,
};

std::string_view failure_kind_name(FailureKind kind);

struct Failure {
  FailureKind kind = FailureKind::other;
  std::string step;   // "tcp connect", "socks5 handshake", "tls handshake", ...
  std::string detail; // human text, never holding a secret
};

} // namespace offsite::transport
