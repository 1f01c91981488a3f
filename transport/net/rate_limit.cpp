#include "transport/net/rate_limit.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace offsite::transport {

RateLimiter::RateLimiter(std::uint64_t bytes_per_second, std::chrono::milliseconds burst)
    : m_rate(std::max<std::uint64_t>(bytes_per_second, 1)), m_burst(burst) {}

Deadline::Clock::time_point RateLimiter::reserve(std::size_t bytes) {
  const auto cost = std::chrono::duration_cast<Deadline::Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(bytes) / static_cast<double>(m_rate)));
  const auto now = Deadline::Clock::now();
  std::lock_guard lock(m_mutex);
  // An idle bucket holds the burst allowance, no more: time not used is lost.
  m_free_at = std::max(m_free_at, now) + cost;
  return m_free_at - m_burst;
}

RateLimitedConnector::RateLimitedConnector(std::shared_ptr<Connector> inner,
                                           std::shared_ptr<RateLimiter> upload,
                                           std::shared_ptr<RateLimiter> download)
    : m_inner(std::move(inner)), m_upload(std::move(upload)), m_download(std::move(download)) {}

std::unique_ptr<Stream> RateLimitedConnector::connect(const Endpoint& destination,
                                                      Deadline deadline) {
  return std::make_unique<RateLimitedStream>(m_inner->connect(destination, deadline), m_upload,
                                             m_download);
}

RateLimitedStream::RateLimitedStream(std::unique_ptr<Stream> inner,
                                     std::shared_ptr<RateLimiter> upload,
                                     std::shared_ptr<RateLimiter> download)
    : m_inner(std::move(inner)), m_upload(std::move(upload)), m_download(std::move(download)) {}

void RateLimitedStream::wait_for(RateLimiter* limiter, std::size_t bytes, Deadline deadline,
                                 const char* step) {
  if (limiter == nullptr || bytes == 0) return;
  const auto until = limiter->reserve(bytes);
  std::unique_lock lock(m_mutex);
  const auto stop = std::min(until, deadline.when());
  m_aborted_cv.wait_until(lock, stop, [&] { return m_aborted; });
  if (m_aborted) throw TransportError(FailureKind::reset, step, "the connection was aborted");
  if (until > deadline.when())
    throw TransportError(
        FailureKind::timeout, step,
        fmt::format("the rate limit of {} KiB/s leaves too little time for the bytes to move",
                    limiter->bytes_per_second() / 1024));
}

void RateLimitedStream::write_all(ByteSpan data, Deadline deadline) {
  while (!data.empty()) {
    const auto piece = data.first(std::min(data.size(), k_rate_piece));
    wait_for(m_upload.get(), piece.size(), deadline, "write");
    m_inner->write_all(piece, deadline);
    data = data.subspan(piece.size());
  }
}

std::size_t RateLimitedStream::read_some(MutableSpan buffer, Deadline deadline) {
  if (m_download && buffer.size() > k_rate_piece) buffer = buffer.first(k_rate_piece);
  const std::size_t n = m_inner->read_some(buffer, deadline);
  wait_for(m_download.get(), n, deadline, "read");
  return n;
}

std::optional<std::size_t> RateLimitedStream::read_available(MutableSpan buffer) {
  if (m_download && buffer.size() > k_rate_piece) buffer = buffer.first(k_rate_piece);
  const auto n = m_inner->read_available(buffer);
  // Never waits (the contract of read_available): the bytes are charged,
  // and the next read_some or write pays for them.
  if (n && *n > 0 && m_download) (void)m_download->reserve(*n);
  return n;
}

void RateLimitedStream::abort() noexcept {
  {
    std::lock_guard lock(m_mutex);
    m_aborted = true;
  }
  m_aborted_cv.notify_all();
  m_inner->abort();
}

} // namespace offsite::transport
