#pragma once
// The repository's store while a command holds a lease: before anything is
// recorded (an index file, a snapshot) or deleted, it checks that the lease
// is still held. A command that lost its lease — the machine slept through
// it, a prune ran meanwhile — stops there instead of recording packs or
// blobs the prune may have deleted. (The data centre refuses the same writes
// without a live lease; a local repository has only this check.)
#include "cli/remote/lease_keeper.hpp"
#include "core/store/store.hpp"

namespace offsite::cli {

class LeaseGuardStore final : public core::ForwardingStore {
public:
  LeaseGuardStore(core::Store& inner, const LeaseKeeper& keeper)
      : ForwardingStore(inner), m_keeper(keeper) {}

  bool put(std::string_view key, ByteView data) override;
  bool remove(std::string_view key) override;

private:
  void require_lease(std::string_view what) const;
  const LeaseKeeper& m_keeper;
};

} // namespace offsite::cli
