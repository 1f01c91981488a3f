#pragma once
// A store that counts the gets of keys starting with `prefix` (every key
// when empty; a whole pack key counts that pack alone), from any thread, and
// can say it is far away: for tests that a reader asks the store as seldom
// as it should.

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/store/store.hpp"

namespace offsite::test {

class CountingStore : public core::ForwardingStore {
public:
  explicit CountingStore(core::Store& inner, std::string counted = {}, bool remote = false)
      : ForwardingStore(inner), prefix(std::move(counted)), m_remote(remote) {}
  bool remote() const override { return m_remote; }
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override {
    if (key.starts_with(prefix)) ++gets;
    return ForwardingStore::get(key, offset, length);
  }

  // From now on, counts only keys starting with `p`, from zero.
  void count_only(std::string p) {
    prefix = std::move(p);
    gets = 0;
  }

  std::string prefix;
  std::atomic<int> gets{0};

private:
  bool m_remote;
};

} // namespace offsite::test
