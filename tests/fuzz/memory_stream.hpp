#pragma once
// A Stream over bytes in memory, for the fuzz targets of the readers that
// take a Stream (frames, SOCKS and HTTP CONNECT replies): the input is what
// the peer sent, handed out at most `max_chunk` bytes per read so that short
// reads are exercised too; writes are kept for inspection; then end of stream.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "transport/net/stream.hpp"

namespace offsite::fuzz {

class MemoryStream final : public transport::Stream {
public:
  MemoryStream(const std::uint8_t* data, std::size_t size, std::size_t max_chunk)
      : m_data(data), m_size(size), m_chunk(std::max<std::size_t>(max_chunk, 1)) {}

  void write_all(transport::ByteSpan data, transport::Deadline) override {
    written.insert(written.end(), data.begin(), data.end());
  }
  std::size_t read_some(transport::MutableSpan buffer, transport::Deadline) override {
    const std::size_t n = std::min({buffer.size(), m_size - m_at, m_chunk});
    std::copy_n(m_data + m_at, n, buffer.begin());
    m_at += n;
    return n;
  }
  void shutdown_write(transport::Deadline) override {}
  void abort() noexcept override {}
  int native_handle() const noexcept override { return -1; }

  std::size_t consumed() const { return m_at; }
  std::vector<std::uint8_t> written;

private:
  const std::uint8_t* m_data;
  std::size_t m_size;
  std::size_t m_chunk;
  std::size_t m_at = 0;
};

} // namespace offsite::fuzz
