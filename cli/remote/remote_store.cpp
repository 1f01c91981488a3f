#include "cli/remote/remote_store.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "cli/remote/wire_reply.hpp"
#include "cli/ui/interrupt.hpp"

namespace offsite::cli {

using transport::Frame;
using transport::Op;
namespace wire = transport::wire;

namespace {

// A request that keeps killing its connection (a server that crashes on
// it, a hostile reply) must not be resent forever.
constexpr int k_max_resends = 6;
constexpr std::uint64_t k_piece_size = 16u << 20;
// Above this, a resent put that finds its key is trusted by size alone:
// only packs are that large, and the server checks their SHA-256 name.
constexpr std::size_t k_compare_bytes_limit = 1u << 20;
// The lease lane carries small requests only, so it may be stricter: a
// refresh that gets no answer within this is retried on the other server
// well before the lease (120 s) runs out.
constexpr std::chrono::milliseconds k_lease_idle_timeout{15'000};

std::string role(std::size_t index) { return index == 0 ? "primary" : "alternate"; }

// A reply saying the server's storage failed this request (a disk error, a
// failed fsync): another server of the pair may well succeed.
bool is_storage_failure(const Frame& reply, Op op) {
  if (wire::is_error(reply, wire::error_code::internal)) return true;
  return op == Op::put && wire::is_error(reply, wire::error_code::no_space);
}

bool is_object_op(Op op) {
  return op == Op::put || op == Op::get || op == Op::head || op == Op::list || op == Op::remove;
}

} // namespace

RemoteStore::RemoteStore(RemoteStoreOptions options) : m_options(std::move(options)) {
  m_lease.is_data = false;
  m_lease.idle_timeout = k_lease_idle_timeout;
  m_data.idle_timeout = m_options.link.pipeline.idle_timeout;
}

RemoteStore::~RemoteStore() = default;

void RemoteStore::connect() {
  session(m_data, std::chrono::steady_clock::now() + m_options.retry_window);
}

std::string RemoteStore::current_server() const {
  {
    std::lock_guard lock(m_mutex);
    if (!m_ever_connected) return {};
  }
  std::lock_guard lock(m_data.mutex);
  return m_options.link.servers[m_data.server].to_string();
}

bool RemoteStore::append_only() const {
  std::lock_guard lock(m_mutex);
  return m_append_only;
}

std::shared_ptr<transport::FramePipeline> RemoteStore::login(Lane& lane,
                                                             std::vector<Attempt>& attempts) {
  const std::size_t count = m_options.link.servers.size();
  const std::size_t first = lane.try_other_first ? (lane.server + 1) % count : lane.server;
  LinkOptions link_options = m_options.link;
  link_options.pipeline.idle_timeout = lane.idle_timeout;
  for (std::size_t step = 0; step < count; ++step) {
    const std::size_t index = (first + step) % count;
    auto link = open_link_to(link_options, index, attempts);
    if (!link) continue;
    const auto& server = m_options.link.servers[index];
    Frame reply;
    try {
      reply = cli::call(*link->pipeline, wire::AuthRequest{m_options.account_id, m_options.secret});
    } catch (const transport::TransportError& e) {
      attempts.push_back({server, e.failure()});
      continue;
    }
    const auto auth =
        decode_reply<wire::AuthReply>(reply, fmt::format("log in to {}", server.to_string()));
    if (lane.is_data && index != lane.server && m_options.notice) {
      const std::string why =
          attempts.empty()
              ? lane.last_failure
              : fmt::format("{}: {}", transport::failure_kind_name(attempts.back().failure.kind),
                            attempts.back().failure.detail);
      m_options.notice(fmt::format(
          "the {} server {} failed ({}); continuing on the {} {}", role(lane.server),
          m_options.link.servers[lane.server].to_string(), why, role(index), server.to_string()));
    }
    lane.server = index;
    lane.try_other_first = false;
    std::vector<std::string> held;
    {
      std::lock_guard lock(m_mutex);
      // Absent from an older server: it still refuses each delete itself.
      m_append_only = auth.append_only;
      held = m_held_leases;
    }
    if (lane.is_data && m_options.on_login) m_options.on_login(link->hello, auth);
    // A lease that was lost meanwhile is the lease keeper's to report.
    try {
      for (const auto& id : held)
        cli::call(*link->pipeline, wire::LeaseRefreshRequest{id, std::nullopt});
    } catch (const transport::TransportError& e) {
      attempts.push_back({server, e.failure()});
      continue;
    }
    return link->pipeline;
  }
  return nullptr;
}

std::shared_ptr<transport::FramePipeline>
RemoteStore::session(Lane& lane, std::chrono::steady_clock::time_point give_up) {
  std::lock_guard lane_lock(lane.mutex);
  if (lane.pipeline && !lane.pipeline->failed()) return lane.pipeline;
  if (lane.pipeline) lane.try_other_first = true; // it failed by itself: a timeout or a reset
  lane.pipeline.reset();
  auto backoff = std::chrono::milliseconds(500);
  for (;;) {
    std::vector<Attempt> attempts;
    if (auto pipeline = login(lane, attempts)) {
      lane.pipeline = pipeline;
      std::lock_guard lock(m_mutex);
      m_ever_connected = true;
      return pipeline;
    }
    bool ever_connected = false;
    {
      std::lock_guard lock(m_mutex);
      ever_connected = m_ever_connected;
    }
    // Before the first success, fail fast: the user is waiting to hear why.
    if (!ever_connected || std::chrono::steady_clock::now() + backoff > give_up || interrupted())
      throw_unreachable("the account's storage servers", attempts);
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
  }
}

void RemoteStore::drop(Lane& lane, const std::shared_ptr<transport::FramePipeline>& pipeline,
                       std::string why, bool try_other_first) {
  std::lock_guard lock(lane.mutex);
  if (lane.pipeline != pipeline) return;
  lane.pipeline.reset();
  lane.last_failure = std::move(why);
  lane.try_other_first = try_other_first;
}

Frame RemoteStore::call(Lane& lane, Op op, const nlohmann::json& header,
                        transport::ByteSpan payload, bool& resent, std::size_t max_reply) {
  resent = false;
  const auto give_up = std::chrono::steady_clock::now() + m_options.retry_window;
  if (max_reply == 0) max_reply = transport::k_max_header_only_frame;
  std::string last_failure;
  // Servers that answered this request with a storage failure.
  std::size_t storage_failures = 0;
  for (int attempt = 0; attempt <= k_max_resends; ++attempt) {
    // Not before the first attempt: an interrupted backup still records
    // the index of what it uploaded, so that the next run reuses it.
    if (attempt > 0 && interrupted()) throw Error(Code::interrupted, "interrupted");
    auto pipeline = session(lane, give_up);
    try {
      Frame reply = pipeline->call(op, header, payload, max_reply);
      if (!is_object_op(op) || !is_storage_failure(reply, op) ||
          ++storage_failures >= m_options.link.servers.size())
        return reply;
      const auto error = transport::error_of(reply);
      drop(lane, pipeline,
           fmt::format("its storage failed: {}", util::printable(error.message, k_server_text)),
           true);
    } catch (const transport::TransportError& e) {
      last_failure = e.what();
      // A reset may be a connection that merely went stale, so the first
      // one retries the same server; one that resets the same request again
      // (a server that dies mid-upload, a proxy that cuts large transfers)
      // gets the other server next, and so on in turn.
      drop(lane, pipeline, last_failure,
           e.failure().kind == transport::FailureKind::timeout || attempt > 0);
    }
    resent = true;
  }
  if (interrupted()) throw Error(Code::interrupted, "interrupted");
  throw Error(Code::no_server,
              fmt::format("the connection to the data centre failed {} times in a row during {} "
                          "(last: {})",
                          k_max_resends + 1, transport::op_name(op), last_failure),
              "run \"offsite test-connection\"");
}

void RemoteStore::hold_lease(const std::string& id) {
  std::lock_guard lock(m_mutex);
  m_held_leases.push_back(id);
}

void RemoteStore::drop_lease(const std::string& id) {
  std::lock_guard lock(m_mutex);
  std::erase(m_held_leases, id);
}

bool RemoteStore::put(std::string_view key, ByteView data) {
  const std::string what = fmt::format("upload {}", util::printable(key, core::k_key_in_messages));
  bool resent = false;
  const wire::PutRequest request{std::string(key)};
  const Frame reply =
      call(m_data, request.op, request.encode(), {data.data(), data.size()}, resent);
  const bool created = decode_reply<wire::PutReply>(reply, what).created;
  if (created || !resent) return created;
  // The key exists after a resend: most likely our own first attempt landed
  // before the connection broke. Count it as ours only if it is the same.
  const auto size = head(key);
  if (!size || *size != data.size()) return false;
  if (data.size() > k_compare_bytes_limit) return true;
  const auto stored = get(key, 0, std::nullopt);
  return stored && std::equal(stored->begin(), stored->end(), data.begin(), data.end());
}

void RemoteStore::stop_reading_if_interrupted() {
  // Reads (get, head, list) stop at once on Ctrl-C/SIGTERM: they may be a
  // loop the server drives (a listing, and a get for each name it lists).
  // Writes go on: an interrupted backup still records what it uploaded.
  if (interrupted()) throw Error(Code::interrupted, "interrupted");
}

std::optional<Bytes> RemoteStore::get(std::string_view key, std::uint64_t offset,
                                      std::optional<std::uint64_t> length) {
  stop_reading_if_interrupted();
  const std::string what =
      fmt::format("download {}", util::printable(key, core::k_key_in_messages));
  const wire::GetRequest request{std::string(key), offset, length};
  bool resent = false;
  // No more than was asked for (plus its header), or a whole object.
  const std::size_t max_reply =
      length && *length < transport::k_max_frame_size
          ? static_cast<std::size_t>(*length) + transport::k_max_header_only_frame
          : transport::k_max_frame_size;
  Frame reply = call(m_data, request.op, request.encode(), {}, resent, max_reply);
  if (wire::is_error(reply, wire::error_code::not_found)) return std::nullopt;
  if (wire::is_error(reply, wire::error_code::too_large)) return get_in_pieces(key, offset, length);
  decode_reply<wire::GetReply>(reply, what);
  if (length && reply.payload.size() > *length)
    throw_malformed_reply(what, wire::MessageError("get reply", "more bytes than asked for"));
  return Bytes(std::move(reply.payload));
}

std::optional<Bytes> RemoteStore::get_in_pieces(std::string_view key, std::uint64_t offset,
                                                std::optional<std::uint64_t> length) {
  const auto size = head(key);
  if (!size) return std::nullopt;
  const std::uint64_t end = length ? std::min(*size, offset + *length) : *size;
  Bytes out;
  for (std::uint64_t at = offset; at < end; at += k_piece_size) {
    auto piece = get(key, at, std::min(k_piece_size, end - at));
    if (!piece) return std::nullopt; // removed meanwhile
    out.insert(out.end(), piece->begin(), piece->end());
  }
  return out;
}

std::optional<std::uint64_t> RemoteStore::head(std::string_view key) {
  stop_reading_if_interrupted();
  const std::string what = fmt::format("look up {}", util::printable(key, core::k_key_in_messages));
  bool resent = false;
  const wire::HeadRequest request{std::string(key)};
  const Frame reply = call(m_data, request.op, request.encode(), {}, resent);
  if (wire::is_error(reply, wire::error_code::not_found)) return std::nullopt;
  return decode_reply<wire::HeadReply>(reply, what).size;
}

void RemoteStore::count_listed(std::string_view prefix, std::string_view start_after,
                               std::size_t objects) {
  std::size_t listed = 0;
  {
    std::lock_guard lock(m_mutex);
    auto& count = m_listed[std::string(prefix)];
    if (start_after.empty()) count = 0; // a new listing of this prefix
    count += objects;
    listed = count;
  }
  if (listed > m_options.max_listed_objects)
    throw Error(Code::generic,
                fmt::format("the server listed more than {} objects under \"{}\"; stopped "
                            "listing (a protocol error: no repository holds that many)",
                            m_options.max_listed_objects,
                            util::printable(prefix, core::k_key_in_messages)),
                "the server may be broken or not an offsite data centre; run \"offsite "
                "test-connection\" and tell the data centre's operator");
}

core::ListPage RemoteStore::list(std::string_view prefix, std::string_view start_after,
                                 std::size_t limit) {
  // A listing is a loop the server drives (page after page): it stops here
  // on Ctrl-C/SIGTERM, and after options.max_listed_objects.
  stop_reading_if_interrupted();
  const std::string what = fmt::format("list {}", util::printable(prefix, core::k_key_in_messages));
  bool resent = false;
  const wire::ListRequest request{std::string(prefix), std::string(start_after), limit};
  const Frame reply = call(m_data, request.op, request.encode(), {}, resent);
  auto listed = decode_reply<wire::ListReply>(reply, what);
  // Sorted, inside the prefix, valid: a list is what later code trusts.
  try {
    listed.check_answers(request);
    for (std::size_t i = 0; i < listed.objects.size(); ++i)
      if (!core::is_valid_key(listed.objects[i].key))
        throw wire::MessageError("list reply", fmt::format("objects[{}] is not a valid key", i));
  } catch (const wire::MessageError& e) {
    throw_malformed_reply(what, e);
  }
  count_listed(prefix, start_after, listed.objects.size());
  core::ListPage page;
  page.truncated = listed.truncated;
  for (auto& object : listed.objects)
    page.objects.push_back({std::move(object.key), object.size});
  return page;
}

bool RemoteStore::remove(std::string_view key) {
  const std::string what = fmt::format("delete {}", util::printable(key, core::k_key_in_messages));
  bool resent = false;
  const wire::RemoveRequest request{std::string(key)};
  const Frame reply = call(m_data, request.op, request.encode(), {}, resent);
  // After a resend, "nothing there" is most likely our first attempt's work.
  return decode_reply<wire::RemoveReply>(reply, what).removed || resent;
}

} // namespace offsite::cli
