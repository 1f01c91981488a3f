#pragma once
// Test-only latency (README, "Test-only hooks"): the seam that lets a
// benchmark run offsited as if its store were an object store a network hop
// away, to measure what handling a connection's requests concurrently buys.
//
// OFFSITE_TEST_STORE_LATENCY_MS=N makes every call of the store offsited
// serves wait N milliseconds (1..10000) before it runs. Unset (every real
// use), nothing is wrapped; a malformed value is ignored.
#include <chrono>
#include <optional>

#include "core/store/store.hpp"

namespace offsite::core {

class LatencyStore : public ForwardingStore {
public:
  // Thread-safe like `inner`; each call sleeps on its own thread, so
  // concurrent calls overlap their waits as a remote store's would.
  LatencyStore(Store& inner, std::chrono::milliseconds latency)
      : ForwardingStore(inner), m_latency(latency) {}

  bool put(std::string_view key, ByteView data) override;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override;
  std::optional<std::uint64_t> head(std::string_view key) override;
  ListPage list(std::string_view prefix, std::string_view start_after, std::size_t limit) override;
  bool remove(std::string_view key) override;

  // The latency OFFSITE_TEST_STORE_LATENCY_MS asks for, if any.
  static std::optional<std::chrono::milliseconds> from_environment();

private:
  void wait() const;
  std::chrono::milliseconds m_latency;
};

} // namespace offsite::core
