#include "transport/failure.hpp"

namespace offsite::transport {

std::string_view failure_kind_name(FailureKind kind) {
  switch (kind) {
  case FailureKind::timeout: return "timeout";
  case FailureKind::refused: return "refused";
  case FailureKind::unreachable: return "unreachable";
  case FailureKind::reset: return "reset";
  case FailureKind::proxy_unreachable: return "proxy_unreachable";
  case FailureKind::proxy_denied: return "proxy_denied";
  case FailureKind::proxy_auth: return "proxy_auth";
  case FailureKind::tls_untrusted: return "tls_untrusted";
  case FailureKind::tls_intercepted: return "tls_intercepted";
  case FailureKind::protocol: return "protocol";
  case FailureKind::outside_subnets: return "outside_subnets";
  case FailureKind::other: return "other";
  }
  return "other";
}

} // namespace offsite::transport
