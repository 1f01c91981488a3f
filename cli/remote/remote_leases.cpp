#include "cli/remote/remote_leases.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/remote/wire_reply.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

using transport::Frame;
namespace wire = transport::wire;

namespace {

std::int64_t local_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::Lease from_wire(const wire::LeaseRecord& record) {
  core::Lease lease;
  lease.id = record.id;
  lease.kind = record.kind == wire::LeaseKind::exclusive ? core::LeaseKind::exclusive
                                                         : core::LeaseKind::shared;
  lease.owner = {record.host, record.pid, record.user, record.command};
  lease.created_ms = record.created_ms;
  lease.expires_ms = record.expires_ms;
  lease.seq = record.seq;
  return lease;
}

} // namespace

core::Lease RemoteLeases::lease_of(const Frame& reply, std::string_view what) {
  const auto held = decode_reply<wire::LeaseReply>(reply, what);
  if (held.now_ms) m_server_offset_ms = *held.now_ms - local_now_ms();
  return from_wire(held.lease);
}

core::Lease RemoteLeases::acquire(core::LeaseKind kind, const core::LeaseOwner& owner,
                                  std::chrono::milliseconds ttl) {
  wire::LeaseAcquireRequest request;
  request.kind =
      kind == core::LeaseKind::exclusive ? wire::LeaseKind::exclusive : wire::LeaseKind::shared;
  request.host = owner.host;
  request.user = owner.user;
  request.command = owner.command;
  request.pid = static_cast<std::uint64_t>(std::max<std::int64_t>(owner.pid, 0));
  request.ttl_ms = static_cast<std::uint64_t>(ttl.count());
  auto lease = lease_of(m_store.request(request), "lock the repository");
  m_store.hold_lease(lease.id);
  return lease;
}

core::Lease RemoteLeases::refresh(const std::string& id, std::chrono::milliseconds ttl) {
  return lease_of(
      m_store.lease_request(wire::LeaseRefreshRequest{id, static_cast<std::uint64_t>(ttl.count())}),
      "refresh the repository's lock");
}

void RemoteLeases::release(const std::string& id) {
  m_store.drop_lease(id);
  decode_reply<wire::LeaseReleaseReply>(m_store.request(wire::LeaseReleaseRequest{id}),
                                        "unlock the repository");
}

std::vector<core::Lease> RemoteLeases::list() {
  const auto listed = decode_reply<wire::LeaseListReply>(m_store.request(wire::LeaseListRequest{}),
                                                         "list the repository's locks");
  m_server_offset_ms = listed.now_ms - local_now_ms();
  std::vector<core::Lease> leases;
  for (const auto& record : listed.leases)
    leases.push_back(from_wire(record));
  return leases;
}

bool RemoteLeases::remove(const std::string& id) {
  return decode_reply<wire::LeaseBreakReply>(m_store.request(wire::LeaseBreakRequest{id}),
                                             "remove a lock")
      .removed;
}

std::int64_t RemoteLeases::now_ms() { return local_now_ms() + m_server_offset_ms; }

} // namespace offsite::cli
