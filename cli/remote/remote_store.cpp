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

std::string role(std::size_t index) { return index == 0 ? "primary" : "alternate"; }

} // namespace

RemoteStore::RemoteStore(RemoteStoreOptions options) : m_options(std::move(options)) {}

RemoteStore::~RemoteStore() = default;

void RemoteStore::connect() { session(std::chrono::steady_clock::now() + m_options.retry_window); }

std::string RemoteStore::current_server() const {
  std::lock_guard lock(m_mutex);
  if (!m_ever_connected) return {};
  return m_options.link.servers[m_server].to_string();
}

bool RemoteStore::append_only() const {
  std::lock_guard lock(m_mutex);
  return m_append_only;
}

std::shared_ptr<transport::FramePipeline> RemoteStore::login(std::vector<Attempt>& attempts) {
  const std::size_t count = m_options.link.servers.size();
  for (std::size_t step = 0; step < count; ++step) {
    const std::size_t index = (m_server + step) % count;
    auto link = open_link_to(m_options.link, index, attempts);
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
    if (index != m_server && m_options.notice) {
      const std::string why =
          attempts.empty()
              ? m_last_failure
              : fmt::format("{}: {}", transport::failure_kind_name(attempts.back().failure.kind),
                            attempts.back().failure.detail);
      m_options.notice(fmt::format("the {} server {} failed ({}); continuing on the {} {}",
                                   role(m_server), m_options.link.servers[m_server].to_string(),
                                   why, role(index), server.to_string()));
    }
    m_server = index;
    // Absent from an older server: it still refuses each delete itself.
    m_append_only = auth.append_only;
    if (m_options.on_login) m_options.on_login(link->hello, auth);
    // A lease that was lost meanwhile is the lease keeper's to report.
    try {
      for (const auto& id : m_held_leases)
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
RemoteStore::session(std::chrono::steady_clock::time_point give_up) {
  std::lock_guard lock(m_mutex);
  if (m_pipeline && !m_pipeline->failed()) return m_pipeline;
  m_pipeline.reset();
  auto backoff = std::chrono::milliseconds(500);
  for (;;) {
    std::vector<Attempt> attempts;
    if (auto pipeline = login(attempts)) {
      m_pipeline = pipeline;
      m_ever_connected = true;
      return pipeline;
    }
    // Before the first success, fail fast: the user is waiting to hear why.
    if (!m_ever_connected || std::chrono::steady_clock::now() + backoff > give_up || interrupted())
      throw_unreachable("the account's storage servers", attempts);
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
  }
}

Frame RemoteStore::call(Op op, const nlohmann::json& header, transport::ByteSpan payload,
                        bool& resent) {
  resent = false;
  const auto give_up = std::chrono::steady_clock::now() + m_options.retry_window;
  std::string last_failure;
  for (int attempt = 0; attempt <= k_max_resends; ++attempt) {
    auto pipeline = session(give_up);
    try {
      return pipeline->call(op, header, payload);
    } catch (const transport::TransportError& e) {
      last_failure = e.what();
      std::lock_guard lock(m_mutex);
      if (m_pipeline == pipeline) {
        m_pipeline.reset();
        m_last_failure = last_failure;
      }
    }
    resent = true;
    if (interrupted()) throw Error(Code::interrupted, "interrupted");
  }
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
  const Frame reply = call(request.op, request.encode(), {data.data(), data.size()}, resent);
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

std::optional<Bytes> RemoteStore::get(std::string_view key, std::uint64_t offset,
                                      std::optional<std::uint64_t> length) {
  const std::string what =
      fmt::format("download {}", util::printable(key, core::k_key_in_messages));
  const wire::GetRequest request{std::string(key), offset, length};
  bool resent = false;
  Frame reply = call(request.op, request.encode(), {}, resent);
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
  const std::string what = fmt::format("look up {}", util::printable(key, core::k_key_in_messages));
  bool resent = false;
  const wire::HeadRequest request{std::string(key)};
  const Frame reply = call(request.op, request.encode(), {}, resent);
  if (wire::is_error(reply, wire::error_code::not_found)) return std::nullopt;
  return decode_reply<wire::HeadReply>(reply, what).size;
}

core::ListPage RemoteStore::list(std::string_view prefix, std::string_view start_after,
                                 std::size_t limit) {
  const std::string what = fmt::format("list {}", util::printable(prefix, core::k_key_in_messages));
  bool resent = false;
  const wire::ListRequest request{std::string(prefix), std::string(start_after), limit};
  const Frame reply = call(request.op, request.encode(), {}, resent);
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
  const Frame reply = call(request.op, request.encode(), {}, resent);
  // After a resend, "nothing there" is most likely our first attempt's work.
  return decode_reply<wire::RemoveReply>(reply, what).removed || resent;
}

} // namespace offsite::cli
