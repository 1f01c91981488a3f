#pragma once
// Pipelined requests over one connection: callers on any thread submit a
// request and wait for its reply, while one I/O thread writes requests as
// soon as they arrive and reads replies as they come back. So a backup's
// uploads and a restore's downloads never wait a round trip per object:
// the next request is already on the wire while the server works on the
// previous one.
//
// Why one I/O thread: a TLS session cannot read and write at the same time
// from two threads. The thread polls the socket and a wake-up eventfd, so it
// writes a new request even while it waits for earlier replies.
//
// Deadlock avoidance: the server handles one request at a time and writes
// its reply before reading the next. If we wrote a large put while the
// server was blocked writing a large get reply to us, both sides would wait
// on full socket buffers. So a request with a payload is not written while
// a request without one (whose reply may be large) is unanswered; small
// requests pipeline freely, up to max_in_flight.
//
// Failure: the first transport failure (reset, timeout, protocol violation,
// the server closing the connection) fails every unanswered request and
// every later submit with that TransportError; the owner then opens a new
// pipeline, on the same server or the other one of the pair.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "transport/net/stream.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::transport {

struct PipelineOptions {
  std::size_t max_in_flight = 32;
  // Nothing may stand still for longer than this: a reply must start
  // arriving within it of the request being written (or of the previous
  // reply), and every read or write must move some bytes within it. A
  // stopped server, a dead proxy or a silent firewall becomes a timeout
  // after `idle_timeout`, never a hang.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  // The slowest average rate a whole frame may arrive or leave at (on top
  // of one idle_timeout), so that a peer trickling one byte at a time
  // cannot hold a request forever either.
  std::size_t min_bytes_per_second = 16u << 10;
  // The largest reply frame accepted when a request does not say.
  std::size_t max_frame_size = k_max_frame_size;
};

// The largest reply frame that carries only a header (every reply but
// get's): the fixed fields plus the largest header.
inline constexpr std::size_t k_max_header_only_frame = k_frame_head_size + k_max_header_size;

class FramePipeline {
public:
  FramePipeline(std::unique_ptr<Stream> stream, PipelineOptions options = {});
  // Fails what is still unanswered (with a reset failure) and joins the
  // I/O thread.
  ~FramePipeline();
  FramePipeline(const FramePipeline&) = delete;
  FramePipeline& operator=(const FramePipeline&) = delete;

  // Queues one request. `payload` is not copied: it must stay valid until
  // the returned future is ready. The future yields the reply frame
  // (reply_ok or reply_error) or throws the connection's TransportError.
  // `max_reply` bounds the reply frame (0: options.max_frame_size): a
  // larger announced reply fails the connection (protocol) before anything
  // is allocated for it.
  std::future<Frame> submit(Op op, nlohmann::json header, ByteSpan payload = {},
                            std::size_t max_reply = 0);

  // Submits and waits.
  Frame call(Op op, nlohmann::json header, ByteSpan payload = {}, std::size_t max_reply = 0);

  // True once the connection has failed; every submit then fails at once.
  bool failed() const;

  // Aborts the connection from any thread (Ctrl-C): unanswered requests
  // fail with a reset failure.
  void abort() noexcept;

private:
  struct Request {
    std::uint32_t id = 0;
    Op op = Op::hello;
    nlohmann::json header;
    ByteSpan payload;
    std::size_t max_reply = 0;
    std::promise<Frame> reply;
  };

  void run();
  // Moves what may be written now from m_queue to m_in_flight.
  std::deque<Request*> take_writable_locked();
  void write_requests(const std::deque<Request*>& requests);
  // Waits for a reply or a wake-up; reads at most one reply.
  void wait_and_read();
  void fail_all(std::exception_ptr error);
  // The deadline for moving `bytes` in one frame (see min_bytes_per_second).
  Deadline frame_deadline(std::size_t bytes) const;
  void wake() noexcept;

  std::unique_ptr<Stream> m_stream;
  PipelineOptions m_options;
  int m_wake_fd = -1;

  mutable std::mutex m_mutex;
  std::deque<std::unique_ptr<Request>> m_queue;     // submitted, not yet written
  std::deque<std::unique_ptr<Request>> m_in_flight; // written, reply pending
  std::size_t m_small_in_flight = 0;                // of which have no payload
  std::uint32_t m_next_id = 1;
  std::exception_ptr m_failure;
  bool m_stopping = false;
  std::chrono::steady_clock::time_point m_last_progress;

  std::thread m_thread; // last: starts after everything above exists
};

} // namespace offsite::transport
