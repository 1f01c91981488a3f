// The lease ops of Session (core/repo/lease.hpp): locks held on the server, so
// that it can refuse a delete unless the deleting session holds the one
// exclusive lease, whatever the client does.
#include "server/handler/handler.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "transport/wire/messages.hpp"

namespace offsite::server {

using transport::Frame;
using transport::make_reply_error;
using transport::make_reply_ok;
namespace wire = transport::wire;
namespace error_code = transport::wire::error_code;

namespace {

constexpr std::chrono::milliseconds k_min_ttl{5'000};
constexpr std::chrono::milliseconds k_max_ttl{3'600'000};
constexpr std::chrono::milliseconds k_default_ttl{120'000};
constexpr std::chrono::seconds k_recheck_lease{2};
// Live leases one account may hold: a few machines' backups, checks and a
// prune need a handful. The bound keeps a stolen secret from filling the
// store with lease objects, or the lease_list reply past what a frame holds.
constexpr std::size_t k_max_live_leases = 64;
std::chrono::milliseconds ttl_of(std::optional<std::uint64_t> ttl) {
  if (!ttl) return k_default_ttl;
  return std::chrono::milliseconds(static_cast<std::int64_t>(
      std::clamp<std::uint64_t>(*ttl, k_min_ttl.count(), k_max_ttl.count())));
}

Frame locked_reply(std::uint32_t id, const Error& e, std::string_view code) {
  return make_reply_error(id, code, e.what());
}

wire::LeaseRecord to_wire(const core::Lease& lease) {
  return {lease.id,
          lease.kind == core::LeaseKind::exclusive ? wire::LeaseKind::exclusive
                                                   : wire::LeaseKind::shared,
          lease.owner.host,
          lease.owner.pid,
          lease.owner.user,
          lease.owner.command,
          lease.created_ms,
          lease.expires_ms,
          lease.seq};
}

} // namespace

bool Session::holds_live_lease(bool exclusive) {
  // Object requests of one session call this concurrently.
  std::lock_guard lock(m_held_mutex);
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
    return make_reply_error(request.id, error_code::append_only,
                            "this account is append-only: deletion needs the operator");
  if (holds_live_lease(true)) return std::nullopt;
  // Nothing to protect yet: an interrupted init leaves key files to clear.
  if (!repo().head("config")) return std::nullopt;
  return make_reply_error(request.id, error_code::lease_required,
                          "deleting needs the repository's exclusive lock, and this connection "
                          "holds none (it may have expired)");
}

std::optional<Frame> Session::refuse_commit(const Frame& request) {
  if (holds_live_lease(false) || !repo().head("config")) return std::nullopt;
  return make_reply_error(request.id, error_code::lease_required,
                          "writing an index or a snapshot needs a lock on the repository, and "
                          "this connection holds none (it may have expired)");
}

Frame Session::held(const Frame& request, const core::Lease& lease) {
  m_held[lease.id] = {lease.kind, std::chrono::steady_clock::now()};
  return make_reply_ok(request.id, wire::LeaseReply{to_wire(lease), leases().now_ms()}.encode());
}

Frame Session::lease_acquire(const Frame& request) {
  auto asked = wire::LeaseAcquireRequest::decode(request.header);
  const auto kind = asked.kind == wire::LeaseKind::exclusive ? core::LeaseKind::exclusive
                                                             : core::LeaseKind::shared;
  core::LeaseOwner owner;
  owner.host = std::move(asked.host);
  owner.user = std::move(asked.user);
  owner.command = std::move(asked.command);
  owner.pid = static_cast<std::int64_t>(std::min<std::uint64_t>(asked.pid, 1u << 30));
  const auto listed_at = leases().now_ms(); // before the listing (core/repo/lease.hpp, rule b)
  const auto all = leases().list();
  const auto live =
      static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const core::Lease& l) {
        return !core::is_past_grace(l, listed_at);
      }));
  if (live >= k_max_live_leases)
    return make_reply_error(
        request.id, error_code::locked,
        fmt::format("the account holds {} live locks, the most it may; wait until some expire, or "
                    "remove stale ones with offsite unlock",
                    live));
  try {
    return held(request, leases().acquire(kind, owner, ttl_of(asked.ttl_ms)));
  } catch (const Error& e) {
    if (e.code() != Code::locked) throw;
    return locked_reply(request.id, e, error_code::locked);
  }
}

Frame Session::lease_refresh(const Frame& request) {
  const auto [id, ttl] = wire::LeaseRefreshRequest::decode(request.header);
  try {
    // A client that failed over refreshes on its new connection: the lease
    // then counts for this session's deletes.
    return held(request, leases().refresh(id, ttl_of(ttl)));
  } catch (const Error& e) {
    if (e.code() != Code::locked) throw;
    return locked_reply(request.id, e, error_code::lease_lost);
  }
}

std::optional<Frame> Session::refuse_foreign_lease(const Frame& request, const std::string& id) {
  if (!m_auth.append_only || m_held.contains(id)) return std::nullopt;
  const auto listed_at = leases().now_ms(); // before the lookup (lease.hpp, rule b)
  const auto lease = leases().find(id);
  if (!lease || core::is_past_grace(*lease, listed_at)) return std::nullopt;
  return make_reply_error(request.id, error_code::append_only,
                          "this account is append-only: it cannot remove a live lock that another "
                          "connection holds; wait until it expires, or ask the operator");
}

Frame Session::lease_release(const Frame& request) {
  const std::string id = wire::LeaseReleaseRequest::decode(request.header).lease_id;
  if (auto refusal = refuse_foreign_lease(request, id)) return std::move(*refusal);
  m_held.erase(id);
  leases().release(id);
  return make_reply_ok(request.id, wire::LeaseReleaseReply{}.encode());
}

Frame Session::lease_list(const Frame& request) {
  wire::LeaseListRequest::decode(request.header);
  wire::LeaseListReply reply;
  // Read before the listing: a client that judges expiry from it (unlock)
  // follows rule b of core/repo/lease.hpp.
  reply.now_ms = leases().now_ms();
  for (const auto& lease : leases().list())
    reply.leases.push_back(to_wire(lease));
  return make_reply_ok(request.id, reply.encode());
}

Frame Session::lease_break(const Frame& request) {
  const std::string id = wire::LeaseBreakRequest::decode(request.header).lease_id;
  if (auto refusal = refuse_foreign_lease(request, id)) return std::move(*refusal);
  m_held.erase(id);
  return make_reply_ok(request.id, wire::LeaseBreakReply{leases().remove(id)}.encode());
}

Frame Session::unregister(const Frame& request) {
  wire::UnregisterRequest::decode(request.header);
  if (auto refusal = refuse_delete(request)) return std::move(*refusal);
  const auto [objects, bytes] = m_context.registry().remove_account(m_auth.id);
  m_context.quotas().forget(m_auth.id);
  m_account.reset();
  m_repo.reset();
  m_leases.reset();
  m_held.clear();
  return make_reply_ok(request.id, wire::UnregisterReply{objects, bytes}.encode());
}

} // namespace offsite::server
