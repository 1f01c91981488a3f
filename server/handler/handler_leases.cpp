// The lease ops of Session (core/lease.hpp): locks held on the server, so
// that it can refuse a delete unless the deleting session holds the one
// exclusive lease, whatever the client does.
#include "server/handler/handler.hpp"

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "server/handler/request_fields.hpp"

namespace offsite::server {

using transport::Frame;
using transport::make_reply_error;
using transport::make_reply_ok;

namespace {

constexpr std::chrono::milliseconds k_min_ttl{5'000};
constexpr std::chrono::milliseconds k_max_ttl{3'600'000};
constexpr std::chrono::milliseconds k_default_ttl{120'000};
constexpr std::chrono::seconds k_recheck_lease{2};
constexpr std::size_t k_max_owner_field = 256;

std::string owner_field(const nlohmann::json& header, const char* name) {
  auto value = optional_string(header, name).value_or("");
  if (value.size() > k_max_owner_field)
    throw BadRequest{fmt::format("field \"{}\" is longer than {} bytes", name, k_max_owner_field)};
  return value;
}

std::chrono::milliseconds ttl_of(const nlohmann::json& header) {
  const auto ttl = optional_unsigned(header, "ttl_ms");
  if (!ttl) return k_default_ttl;
  return std::chrono::milliseconds(static_cast<std::int64_t>(
      std::clamp<std::uint64_t>(*ttl, k_min_ttl.count(), k_max_ttl.count())));
}

Frame locked_reply(std::uint32_t id, const Error& e, std::string_view code) {
  return make_reply_error(id, std::string(code), e.what());
}

} // namespace

bool Session::holds_live_lease(bool exclusive) {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = m_held.begin(); it != m_held.end();) {
    if (exclusive && it->second.kind != core::LeaseKind::exclusive) {
      ++it;
      continue;
    }
    if (now - it->second.checked < k_recheck_lease) return true;
    const auto lease = leases().find(it->first);
    if (lease && lease->expires_ms >= leases().now_ms()) {
      it->second.checked = now;
      return true;
    }
    it = m_held.erase(it);
  }
  return false;
}

std::optional<Frame> Session::refuse_delete(const Frame& request) {
  if (m_auth.append_only)
    return make_reply_error(request.id, "append_only",
                            "this account is append-only: deletion needs the operator");
  if (holds_live_lease(true)) return std::nullopt;
  // Nothing to protect yet: an interrupted init leaves key files to clear.
  if (!repo().head("config")) return std::nullopt;
  return make_reply_error(request.id, "lease_required",
                          "deleting needs the repository's exclusive lock, and this connection "
                          "holds none (it may have expired)");
}

std::optional<Frame> Session::refuse_commit(const Frame& request) {
  if (holds_live_lease(false) || !repo().head("config")) return std::nullopt;
  return make_reply_error(request.id, "lease_required",
                          "writing an index or a snapshot needs a lock on the repository, and "
                          "this connection holds none (it may have expired)");
}

Frame Session::held(const Frame& request, const core::Lease& lease) {
  m_held[lease.id] = {lease.kind, std::chrono::steady_clock::now()};
  return make_reply_ok(request.id,
                       {{"lease", core::lease_to_json(lease)}, {"now_ms", leases().now_ms()}});
}

Frame Session::lease_acquire(const Frame& request) {
  const auto kind = core::lease_kind_from_name(string_field(request.header, "kind"));
  if (!kind)
    return make_reply_error(request.id, "bad_request", "kind must be \"shared\" or \"exclusive\"");
  core::LeaseOwner owner;
  owner.host = owner_field(request.header, "host");
  owner.user = owner_field(request.header, "user");
  owner.command = owner_field(request.header, "command");
  owner.pid = static_cast<std::int64_t>(
      std::min<std::uint64_t>(optional_unsigned(request.header, "pid").value_or(0), 1u << 30));
  try {
    return held(request, leases().acquire(*kind, owner, ttl_of(request.header)));
  } catch (const Error& e) {
    if (e.code() != Code::locked) throw;
    return locked_reply(request.id, e, "locked");
  }
}

Frame Session::lease_refresh(const Frame& request) {
  const std::string id = string_field(request.header, "lease_id");
  try {
    // A client that failed over refreshes on its new connection: the lease
    // then counts for this session's deletes.
    return held(request, leases().refresh(id, ttl_of(request.header)));
  } catch (const Error& e) {
    if (e.code() != Code::locked) throw;
    return locked_reply(request.id, e, "lease_lost");
  }
}

Frame Session::lease_release(const Frame& request) {
  const std::string id = string_field(request.header, "lease_id");
  m_held.erase(id);
  leases().release(id);
  return make_reply_ok(request.id, nlohmann::json::object());
}

Frame Session::lease_list(const Frame& request) {
  auto leases_json = nlohmann::json::array();
  for (const auto& lease : leases().list())
    leases_json.push_back(core::lease_to_json(lease));
  return make_reply_ok(request.id,
                       {{"leases", std::move(leases_json)}, {"now_ms", leases().now_ms()}});
}

Frame Session::lease_break(const Frame& request) {
  const std::string id = string_field(request.header, "lease_id");
  m_held.erase(id);
  return make_reply_ok(request.id, {{"removed", leases().remove(id)}});
}

Frame Session::unregister(const Frame& request) {
  if (auto refusal = refuse_delete(request)) return std::move(*refusal);
  const auto [objects, bytes] = m_context.registry().remove_account(m_auth.id);
  m_context.release(m_auth.id, bytes);
  m_account.reset();
  m_repo.reset();
  m_leases.reset();
  m_held.clear();
  return make_reply_ok(request.id, {{"objects_deleted", objects}, {"bytes_deleted", bytes}});
}

} // namespace offsite::server
