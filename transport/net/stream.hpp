#pragma once
// A connected, reliable byte stream: a TCP socket, or a TLS session over any
// other Stream (which may itself be a tunnel through a SOCKS or HTTP proxy).
// Layers stack by composition; each owns the Stream below it.
//
// Contract shared by every implementation:
// - Threading: one thread at a time calls write_all/read_some/read_exact/
//   shutdown_write (reads and writes included: a TLS session cannot read and
//   write concurrently). Only abort() may be called from another thread.
// - Blocking: calls block until done or until the Deadline passes; nothing
//   waits beyond it (Deadline::never() is the only unbounded wait).
// - Errors: every failure throws TransportError carrying a classified Failure
//   (timeout, reset, protocol, ...). After a throw the stream is unusable
//   except for destruction.
// - Destruction closes the connection (without waiting for the peer).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "transport/net/deadline.hpp"
#include "transport/net/failure.hpp"

namespace offsite::transport {

using ByteSpan = std::span<const std::uint8_t>;
using MutableSpan = std::span<std::uint8_t>;

class Stream {
public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  virtual ~Stream();

  // Sends all of `data` or throws (timeout when the deadline passes with
  // bytes still unsent, reset when the peer is gone).
  virtual void write_all(ByteSpan data, Deadline deadline) = 0;

  // Receives at least one byte into `buffer` (non-empty) and returns how many,
  // or returns 0 at end of stream (the peer closed its side). Throws timeout
  // when nothing arrives before the deadline, reset on a broken connection.
  virtual std::size_t read_some(MutableSpan buffer, Deadline deadline) = 0;

  // Reads only what has already arrived, never waiting: nullopt when nothing
  // the caller can use is there yet (bytes a lower layer consumed for itself,
  // such as a TLS session ticket, count as nothing), 0 at end of stream.
  // For a caller that may not block because nothing is owed to it. The
  // default suits streams whose every byte is data (in-memory streams).
  virtual std::optional<std::size_t> read_available(MutableSpan buffer) {
    return read_some(buffer, Deadline::never());
  }

  // Fills `buffer` completely. End of stream before that throws a Failure of
  // kind `eof_kind` (reset by default: the peer went away) naming `step`.
  void read_exact(MutableSpan buffer, Deadline deadline, FailureKind eof_kind = FailureKind::reset,
                  const char* step = "read");

  // Graceful close of our sending direction: TLS sends close_notify, TCP a
  // FIN. Reading may continue until the peer closes too.
  virtual void shutdown_write(Deadline deadline) = 0;

  // Abortive: wakes any read or write blocked on this stream (in another
  // thread) and makes further calls fail or see end of stream. Thread-safe,
  // never throws, idempotent. Used for cancellation and server shutdown.
  virtual void abort() noexcept = 0;

  // The socket at the bottom of the stack (for getsockname, ss checks), or
  // -1 when there is none. Ownership stays with the stream.
  virtual int native_handle() const noexcept = 0;

  // True when bytes already received sit in this layer's buffers (a TLS
  // record read ahead), so that a read would not block even though the
  // socket is not readable. Whoever polls native_handle() must check this
  // first, or it waits for data that has already arrived.
  virtual bool has_buffered_input() const noexcept { return false; }
};

} // namespace offsite::transport
