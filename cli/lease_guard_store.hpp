#pragma once
// The repository's store while a command holds a lease: before anything is
// recorded (an index file, a snapshot) or deleted, it checks that the lease
// is still held. A command that lost its lease — the machine slept through
// it, a prune ran meanwhile — stops there instead of recording packs or
// blobs the prune may have deleted. (The data centre refuses the same writes
// without a live lease; a local repository has only this check.)
#include "cli/lease_keeper.hpp"
#include "core/store.hpp"

namespace offsite::cli {

class LeaseGuardStore final : public core::Store {
public:
  LeaseGuardStore(core::Store& inner, const LeaseKeeper& keeper)
      : m_inner(inner), m_keeper(keeper) {}

  bool put(std::string_view key, ByteView data) override;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override {
    return m_inner.get(key, offset, length);
  }
  std::optional<std::uint64_t> head(std::string_view key) override { return m_inner.head(key); }
  core::ListPage list(std::string_view prefix, std::string_view start_after,
                      std::size_t limit) override {
    return m_inner.list(prefix, start_after, limit);
  }
  bool remove(std::string_view key) override;

private:
  void require_lease(std::string_view what) const;
  core::Store& m_inner;
  const LeaseKeeper& m_keeper;
};

} // namespace offsite::cli
