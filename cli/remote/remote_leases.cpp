#include "cli/remote/remote_leases.hpp"

#include <fmt/format.h>

#include "cli/remote/server_link.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

using transport::Frame;
using transport::Op;

namespace {

std::int64_t local_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void malformed(std::string_view what) {
  throw Error(Code::generic, fmt::format("the server sent a malformed reply to {}", what),
              "the server may be broken or not an offsite data centre; run \"offsite "
              "test-connection\"");
}

} // namespace

core::Lease RemoteLeases::lease_of(const Frame& reply, std::string_view what) {
  if (reply.op != Op::reply_ok) throw_reply_error(reply, what);
  try {
    if (const auto now = reply.header.find("now_ms"); now != reply.header.end())
      m_server_offset_ms = now->get<std::int64_t>() - local_now_ms();
    return core::lease_from_json(reply.header.at("lease"));
  } catch (const nlohmann::json::exception&) {
    malformed(what);
  } catch (const Error&) {
    malformed(what);
  }
}

core::Lease RemoteLeases::acquire(core::LeaseKind kind, const core::LeaseOwner& owner,
                                  std::chrono::milliseconds ttl) {
  const Frame reply = m_store.request(Op::lease_acquire, {{"kind", core::lease_kind_name(kind)},
                                                          {"host", owner.host},
                                                          {"pid", owner.pid},
                                                          {"user", owner.user},
                                                          {"command", owner.command},
                                                          {"ttl_ms", ttl.count()}});
  auto lease = lease_of(reply, "lock the repository");
  m_store.hold_lease(lease.id);
  return lease;
}

core::Lease RemoteLeases::refresh(const std::string& id, std::chrono::milliseconds ttl) {
  return lease_of(m_store.request(Op::lease_refresh, {{"lease_id", id}, {"ttl_ms", ttl.count()}}),
                  "refresh the repository's lock");
}

void RemoteLeases::release(const std::string& id) {
  m_store.drop_lease(id);
  const Frame reply = m_store.request(Op::lease_release, {{"lease_id", id}});
  if (reply.op != Op::reply_ok) throw_reply_error(reply, "unlock the repository");
}

std::vector<core::Lease> RemoteLeases::list() {
  const Frame reply = m_store.request(Op::lease_list, nlohmann::json::object());
  if (reply.op != Op::reply_ok) throw_reply_error(reply, "list the repository's locks");
  std::vector<core::Lease> leases;
  try {
    m_server_offset_ms = reply.header.at("now_ms").get<std::int64_t>() - local_now_ms();
    for (const auto& entry : reply.header.at("leases"))
      leases.push_back(core::lease_from_json(entry));
  } catch (const nlohmann::json::exception&) {
    malformed("list the repository's locks");
  } catch (const Error&) {
    malformed("list the repository's locks");
  }
  return leases;
}

bool RemoteLeases::remove(const std::string& id) {
  const Frame reply = m_store.request(Op::lease_break, {{"lease_id", id}});
  if (reply.op != Op::reply_ok) throw_reply_error(reply, "remove a lock");
  const auto removed = reply.header.find("removed");
  if (removed == reply.header.end() || !removed->is_boolean()) malformed("remove a lock");
  return removed->get<bool>();
}

std::int64_t RemoteLeases::now_ms() { return local_now_ms() + m_server_offset_ms; }

} // namespace offsite::cli
