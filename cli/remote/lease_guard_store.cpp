#include "cli/remote/lease_guard_store.hpp"

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::cli {

void LeaseGuardStore::require_lease(std::string_view what) const {
  if (m_keeper.still_held()) return;
  throw Error(Code::locked, fmt::format("stopped before {}: {}", what, m_keeper.why_not_held()),
              "nothing half-written was recorded; run the command again (what was uploaded "
              "is reused)");
}

bool LeaseGuardStore::put(std::string_view key, ByteView data) {
  if (key.starts_with("index/") || key.starts_with("snapshots/"))
    require_lease(fmt::format("recording {}", util::printable(key, core::k_key_in_messages)));
  return ForwardingStore::put(key, data);
}

bool LeaseGuardStore::remove(std::string_view key) {
  require_lease(fmt::format("deleting {}", util::printable(key, core::k_key_in_messages)));
  return ForwardingStore::remove(key);
}

} // namespace offsite::cli
