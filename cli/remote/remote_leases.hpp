#pragma once
// core::LeaseTable kept by the data centre: the lease ops over a RemoteStore's
// connection, so a lease travels with the connection through a failover.
#include "cli/remote/remote_store.hpp"
#include "core/repo/lease.hpp"

namespace offsite::cli {

class RemoteLeases final : public core::LeaseTable {
public:
  explicit RemoteLeases(RemoteStore& store) : m_store(store) {}

  core::Lease acquire(core::LeaseKind kind, const core::LeaseOwner& owner,
                      std::chrono::milliseconds ttl) override;
  core::Lease refresh(const std::string& id, std::chrono::milliseconds ttl) override;
  void release(const std::string& id) override;
  std::vector<core::Lease> list() override;
  bool remove(const std::string& id) override;
  std::int64_t now_ms() override;

private:
  // The lease in an acquire or refresh reply (and the server clock), or
  // the error the reply carries, or Error(generic) for a malformed one.
  core::Lease lease_of(const transport::Frame& reply, std::string_view what);
  RemoteStore& m_store;
  std::int64_t m_server_offset_ms = 0; // server clock minus ours, from the last reply
};

} // namespace offsite::cli
