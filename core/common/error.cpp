#include "core/common/error.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace offsite {

CodeInfo code_info(Code code) {
  switch (code) {
  case Code::generic: return {"error", 1};
  case Code::usage: return {"usage", 2};
  case Code::passphrase_required: return {"passphrase_required", 2};
  case Code::partial: return {"partial", 3};
  case Code::no_server: return {"no_server_reachable", 4};
  case Code::auth: return {"authentication_failed", 5};
  case Code::wrong_passphrase: return {"wrong_passphrase", 6};
  case Code::locked: return {"repository_locked", 7};
  case Code::integrity: return {"integrity_error", 8};
  case Code::not_found: return {"not_found", 9};
  case Code::no_space: return {"no_space", 10};
  case Code::config: return {"config_error", 11};
  case Code::failover_only: return {"failover_only", 12};
  case Code::interrupted: return {"interrupted", 130};
  }
  return {"error", 1};
}

Error::Error(Code code, const std::string& message, std::string hint)
    : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

void throw_errno(std::string_view what, int err) {
  const Code code = (err == ENOSPC || err == EDQUOT) ? Code::no_space : Code::generic;
  std::string hint;
  if (code == Code::no_space)
    hint = "free some space on that disk and run the command again; nothing was lost";
  throw Error(code, fmt::format("{}: {}", what, std::strerror(err)), std::move(hint));
}

} // namespace offsite
