#include "core/store/latency_store.hpp"

#include <cstdlib>
#include <string>
#include <thread>

namespace offsite::core {

void LatencyStore::wait() const { std::this_thread::sleep_for(m_latency); }

bool LatencyStore::put(std::string_view key, ByteView data) {
  wait();
  return ForwardingStore::put(key, data);
}

std::optional<Bytes> LatencyStore::get(std::string_view key, std::uint64_t offset,
                                       std::optional<std::uint64_t> length) {
  wait();
  return ForwardingStore::get(key, offset, length);
}

std::optional<std::uint64_t> LatencyStore::head(std::string_view key) {
  wait();
  return ForwardingStore::head(key);
}

ListPage LatencyStore::list(std::string_view prefix, std::string_view start_after,
                            std::size_t limit) {
  wait();
  return ForwardingStore::list(prefix, start_after, limit);
}

bool LatencyStore::remove(std::string_view key) {
  wait();
  return ForwardingStore::remove(key);
}

std::optional<std::chrono::milliseconds> LatencyStore::from_environment() {
  const char* text = std::getenv("OFFSITE_TEST_STORE_LATENCY_MS");
  if (text == nullptr) return std::nullopt;
  const std::string number(text);
  char* end = nullptr;
  const long ms = std::strtol(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || ms < 1 || ms > 10'000) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

} // namespace offsite::core
