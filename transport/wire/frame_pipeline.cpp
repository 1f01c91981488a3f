#include "transport/wire/frame_pipeline.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "transport/net/idle_timeout_stream.hpp"
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace offsite::transport {

namespace {

std::exception_ptr failure(FailureKind kind, std::string detail) {
  return std::make_exception_ptr(TransportError(kind, "pipeline", std::move(detail)));
}

} // namespace

FramePipeline::FramePipeline(std::unique_ptr<Stream> stream, PipelineOptions options)
    : m_stream(std::make_unique<IdleTimeoutStream>(std::move(stream), options.idle_timeout)),
      m_options(options) {
  m_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m_wake_fd < 0)
    throw TransportError(FailureKind::other, "pipeline",
                         fmt::format("eventfd: {}", std::strerror(errno)));
  m_last_progress = std::chrono::steady_clock::now();
  m_thread = std::thread([this] { run(); });
}

FramePipeline::~FramePipeline() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  wake();
  m_stream->abort(); // a write blocked on a dead peer must not hold up the join
  m_thread.join();
  fail_all(failure(FailureKind::reset, "the connection was closed"));
  ::close(m_wake_fd);
}

std::future<Frame> FramePipeline::submit(Op op, nlohmann::json header, ByteSpan payload,
                                         std::size_t max_reply) {
  auto request = std::make_unique<Request>();
  request->op = op;
  request->header = std::move(header);
  request->payload = payload;
  request->max_reply =
      max_reply == 0 ? m_options.max_frame_size : std::min(max_reply, m_options.max_frame_size);
  auto future = request->reply.get_future();
  {
    std::lock_guard lock(m_mutex);
    if (m_failure) {
      request->reply.set_exception(m_failure);
      return future;
    }
    request->id = m_next_id++;
    m_queue.push_back(std::move(request));
  }
  wake();
  return future;
}

Frame FramePipeline::call(Op op, nlohmann::json header, ByteSpan payload, std::size_t max_reply) {
  return submit(op, std::move(header), payload, max_reply).get();
}

Deadline FramePipeline::frame_deadline(std::size_t bytes) const {
  const auto rate = std::max<std::size_t>(m_options.min_bytes_per_second, 1);
  return Deadline::after(m_options.idle_timeout + std::chrono::seconds(bytes / rate));
}

bool FramePipeline::failed() const {
  std::lock_guard lock(m_mutex);
  return m_failure != nullptr;
}

void FramePipeline::abort() noexcept { m_stream->abort(); }

void FramePipeline::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(m_wake_fd, &one, sizeof one);
}

void FramePipeline::run() {
  try {
    for (;;) {
      std::deque<Request*> writable;
      {
        std::lock_guard lock(m_mutex);
        if (m_stopping) return;
        writable = take_writable_locked();
      }
      write_requests(writable);
      wait_and_read();
    }
  } catch (const TransportError&) {
    fail_all(std::current_exception());
  } catch (const std::exception& e) {
    fail_all(failure(FailureKind::other, e.what()));
  }
}

std::deque<FramePipeline::Request*> FramePipeline::take_writable_locked() {
  std::deque<Request*> writable;
  while (!m_queue.empty() && m_in_flight.size() < m_options.max_in_flight) {
    const bool large = !m_queue.front()->payload.empty();
    if (large && m_small_in_flight > 0) break; // see "Deadlock avoidance"
    if (m_in_flight.empty()) m_last_progress = std::chrono::steady_clock::now();
    if (!large) ++m_small_in_flight;
    writable.push_back(m_queue.front().get());
    m_in_flight.push_back(std::move(m_queue.front()));
    m_queue.pop_front();
  }
  return writable;
}

void FramePipeline::write_requests(const std::deque<Request*>& requests) {
  for (Request* request : requests) {
    // Only this thread removes entries from m_in_flight, so the pointer
    // stays valid while the frame is written without the lock.
    write_frame(*m_stream, request->op, request->id, request->header, request->payload,
                frame_deadline(request->payload.size()), m_options.max_frame_size);
  }
  if (!requests.empty()) {
    std::lock_guard lock(m_mutex);
    m_last_progress = std::chrono::steady_clock::now();
  }
}

void FramePipeline::wait_and_read() {
  bool waiting_for_reply = false;
  Deadline reply_deadline = Deadline::never();
  // Nothing is owed between requests: anything the server sends then is
  // refused after its fixed fields, so an unrequested frame costs nothing.
  std::size_t max_reply = k_frame_head_size;
  {
    std::lock_guard lock(m_mutex);
    waiting_for_reply = !m_in_flight.empty();
    if (waiting_for_reply) {
      reply_deadline = Deadline::at(m_last_progress + m_options.idle_timeout);
      max_reply = m_in_flight.front()->max_reply;
    }
  }
  bool readable = m_stream->has_buffered_input();
  if (!readable) {
    // Also watch the socket when nothing is pending: a server closing an
    // idle connection is noticed now, not on the next request.
    pollfd fds[2] = {{m_stream->native_handle(), POLLIN, 0}, {m_wake_fd, POLLIN, 0}};
    const int ready = ::poll(fds, 2, reply_deadline.poll_timeout_ms());
    if (ready < 0 && errno != EINTR)
      throw TransportError(FailureKind::other, "pipeline", std::strerror(errno));
    if (ready > 0 && (fds[1].revents & POLLIN)) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto got = ::read(m_wake_fd, &count, sizeof count);
    }
    readable = ready > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR));
    if (ready == 0 && waiting_for_reply)
      throw TransportError(
          FailureKind::timeout, "await reply",
          fmt::format(
              "the server sent no reply within {} s",
              std::chrono::duration_cast<std::chrono::seconds>(m_options.idle_timeout).count()));
  }
  if (!readable) return;
  if (!waiting_for_reply) {
    // Nothing is owed, so a blocking read could wait for ever while a new
    // request sits unwritten. What arrived may be TLS housekeeping (a
    // session ticket): consume it without waiting.
    std::uint8_t probe[k_frame_head_size];
    const auto got = m_stream->read_available(probe);
    if (!got) return;
    if (*got == 0)
      throw TransportError(FailureKind::reset, "await reply", "the server closed the connection");
    throw TransportError(FailureKind::protocol, "await reply",
                         "the server sent data while no request was unanswered");
  }

  auto frame = read_frame_or_eof(*m_stream, frame_deadline(max_reply), max_reply);
  if (!frame)
    throw TransportError(FailureKind::reset, "await reply", "the server closed the connection");
  std::unique_ptr<Request> request;
  {
    std::lock_guard lock(m_mutex);
    if (m_in_flight.empty())
      throw TransportError(
          FailureKind::protocol, "await reply",
          fmt::format("the server sent an unrequested {} frame", op_name(frame->op)));
    // The server answers in request order; anything else is a broken peer.
    if (frame->id != m_in_flight.front()->id ||
        (frame->op != Op::reply_ok && frame->op != Op::reply_error))
      throw TransportError(FailureKind::protocol, "await reply",
                           fmt::format("expected the reply to request {}, got {} for request {}",
                                       m_in_flight.front()->id, op_name(frame->op), frame->id));
    request = std::move(m_in_flight.front());
    m_in_flight.pop_front();
    if (request->payload.empty()) --m_small_in_flight;
    m_last_progress = std::chrono::steady_clock::now();
  }
  request->reply.set_value(std::move(*frame));
}

void FramePipeline::fail_all(std::exception_ptr error) {
  std::deque<std::unique_ptr<Request>> doomed;
  {
    std::lock_guard lock(m_mutex);
    if (!m_failure) m_failure = std::move(error);
    doomed.swap(m_in_flight);
    for (auto& request : m_queue)
      doomed.push_back(std::move(request));
    m_queue.clear();
    m_small_in_flight = 0;
  }
  m_stream->abort();
  for (auto& request : doomed)
    request->reply.set_exception(m_failure);
}

} // namespace offsite::transport
