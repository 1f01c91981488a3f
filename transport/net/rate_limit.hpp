#pragma once
// --limit-upload / --limit-download: a cap on the bytes per second that all
// of a command's connections together send or receive, as a Connector layer
// right above TCP (below TLS and any proxy's framing), so that what is
// capped is what crosses the wire.
//
// RateLimiter is a token bucket kept as a virtual clock: each piece of
// `bytes` moves the time the bucket is free again by bytes / rate, and a
// caller waits until that time, less the burst allowance, has come. So over
// any interval T at most rate * (T + burst) bytes pass, whatever the number
// of connections sharing the limiter.
//
// Streams move their bytes in pieces of at most k_rate_piece, each paid for
// before it is written (or, reading, once it has arrived), so that a large
// frame does not go out in one burst and one connection cannot starve
// another (a lease refresh waits behind one piece, not behind a whole pack).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "transport/net/connector.hpp"

namespace offsite::transport {

inline constexpr std::size_t k_rate_piece = 16u << 10;

class RateLimiter {
public:
  explicit RateLimiter(std::uint64_t bytes_per_second,
                       std::chrono::milliseconds burst = std::chrono::milliseconds(50));

  std::uint64_t bytes_per_second() const { return m_rate; }

  // The moment by which `bytes` may pass; the caller waits until then.
  Deadline::Clock::time_point reserve(std::size_t bytes);

private:
  std::uint64_t m_rate;
  Deadline::Clock::duration m_burst;
  std::mutex m_mutex;
  Deadline::Clock::time_point m_free_at{};
};

// Either limiter may be null (that direction is not limited).
class RateLimitedConnector final : public Connector {
public:
  RateLimitedConnector(std::shared_ptr<Connector> inner, std::shared_ptr<RateLimiter> upload,
                       std::shared_ptr<RateLimiter> download);
  std::unique_ptr<Stream> connect(const Endpoint& destination, Deadline deadline) override;

private:
  std::shared_ptr<Connector> m_inner;
  std::shared_ptr<RateLimiter> m_upload;
  std::shared_ptr<RateLimiter> m_download;
};

// A Stream whose writes and reads pass through the limiters. A wait that
// would run past the caller's deadline is a timeout; abort() ends a wait.
class RateLimitedStream final : public Stream {
public:
  RateLimitedStream(std::unique_ptr<Stream> inner, std::shared_ptr<RateLimiter> upload,
                    std::shared_ptr<RateLimiter> download);

  void write_all(ByteSpan data, Deadline deadline) override;
  std::size_t read_some(MutableSpan buffer, Deadline deadline) override;
  std::optional<std::size_t> read_available(MutableSpan buffer) override;
  void shutdown_write(Deadline deadline) override { m_inner->shutdown_write(deadline); }
  void abort() noexcept override;
  int native_handle() const noexcept override { return m_inner->native_handle(); }
  bool has_buffered_input() const noexcept override { return m_inner->has_buffered_input(); }

private:
  void wait_for(RateLimiter* limiter, std::size_t bytes, Deadline deadline, const char* step);

  std::unique_ptr<Stream> m_inner;
  std::shared_ptr<RateLimiter> m_upload;
  std::shared_ptr<RateLimiter> m_download;
  std::mutex m_mutex;
  std::condition_variable m_aborted_cv;
  bool m_aborted = false;
};

} // namespace offsite::transport
