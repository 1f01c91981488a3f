#include "transport/net/failure.hpp"

#include <utility>

namespace offsite::transport {

std::string_view failure_kind_name(FailureKind kind) {
  switch (kind) {
  case FailureKind::timeout: return "timeout";
  case FailureKind::refused: return "refused";
  case FailureKind::unreachable: return "unreachable";
  case FailureKind::reset: return "reset";
  case FailureKind::name_resolution: return "name_resolution";
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

namespace {
std::string describe(const Failure& failure) {
  if (failure.step.empty()) return failure.detail;
  return failure.step + ": " + failure.detail;
}
} // namespace

TransportError::TransportError(Failure failure)
    : std::runtime_error(describe(failure)), m_failure(std::move(failure)) {}

TransportError::TransportError(FailureKind kind, std::string step, std::string detail)
    : TransportError(Failure{kind, std::move(step), std::move(detail)}) {}

} // namespace offsite::transport
