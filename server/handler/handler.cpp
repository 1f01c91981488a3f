#include "server/handler/handler.hpp"

#include <algorithm>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/common/bytes.hpp"
#include "core/common/crash_point.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "server/handler/object_policy.hpp"
#include "server/serve/connection_limits.hpp"
#include "transport/wire/messages.hpp"
#include "util/printable.hpp"

namespace offsite::server {

using transport::Frame;
using transport::make_reply_error;
using transport::make_reply_ok;
using transport::Op;
namespace wire = transport::wire;
namespace error_code = transport::wire::error_code;

namespace {

bool is_hex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_list_prefix(std::string_view prefix) {
  if (prefix.size() > wire::k_max_field_size) return false;
  const bool chars_ok = std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
  });
  if (!chars_ok) return false;
  // Every complete segment (one followed by '/') must be a valid key segment;
  // the last one may be partial ("data/a").
  std::size_t start = 0;
  for (std::size_t slash = prefix.find('/'); slash != std::string_view::npos;
       slash = prefix.find('/', start)) {
    const auto segment = prefix.substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = slash + 1;
  }
  return true;
}

Frame invalid_key(const Frame& request, std::string_view key) {
  return make_reply_error(request.id, error_code::invalid_key,
                          fmt::format("\"{}\" is not a valid object key",
                                      key.substr(0, std::min<std::size_t>(key.size(), 200))));
}

// The object a request names, for the server's log; empty if none.
std::string key_of(const Frame& request) {
  try {
    switch (request.op) {
    case Op::put: return wire::PutRequest::decode(request.header).key;
    case Op::get: return wire::GetRequest::decode(request.header).key;
    case Op::head: return wire::HeadRequest::decode(request.header).key;
    case Op::remove: return wire::RemoveRequest::decode(request.header).key;
    default: return {};
    }
  } catch (const std::exception&) {
    return {};
  }
}

} // namespace

bool is_content_addressed(std::string_view key) {
  if (key.starts_with("data/"))
    return key.size() == 5 + 3 + 64 && key[7] == '/' && is_hex64(key.substr(8)) &&
           key.substr(5, 2) == key.substr(8, 2);
  if (key.starts_with("index/")) return is_hex64(key.substr(6));
  if (key.starts_with("snapshots/")) return is_hex64(key.substr(10));
  return false;
}

// --- ServerContext -----------------------------------------------------------

ServerContext::ServerContext(core::Store& store, ServerOptions options)
    : m_store(store), m_registry(store), m_options(std::move(options)),
      m_quotas([this](const std::string& account) { return m_registry.usage(account); }),
      m_settings_store(store) {
  // Two front-ends may start at once: a lost race means reading the
  // winner's version and applying our given settings on top of it.
  for (int attempt = 0;; ++attempt) {
    const auto stored = m_settings_store.load();
    const DataCentreSettings& mine = m_options;
    DataCentreSettings wanted = stored ? stored->settings : mine;
    if (stored) {
      const auto& given = m_options.given;
      if (given.registration) wanted.registration = mine.registration;
      if (given.storage_pair) wanted.storage_pair = mine.storage_pair;
      if (given.registration_pair) wanted.registration_pair = mine.registration_pair;
      if (given.subnets) wanted.subnets = mine.subnets;
      if (given.default_quota) wanted.default_quota = mine.default_quota;
      if (given.default_quota_objects) wanted.default_quota_objects = mine.default_quota_objects;
    }
    if (stored && wanted == stored->settings) {
      m_settings = wanted;
      break;
    }
    if (m_settings_store.store_next(wanted, stored ? stored->seq : 0)) {
      log(stored
              ? fmt::format("the flags replace the data centre's settings in the store: was {}; "
                            "now {}",
                            describe(stored->settings), describe(wanted))
              : fmt::format("the store holds no data-centre settings: wrote {}", describe(wanted)));
      m_settings = wanted;
      break;
    }
    if (attempt == 8)
      throw Error(Code::generic, "the data centre's settings kept changing while they were written",
                  "try again");
  }
  m_settings_read_at = std::chrono::steady_clock::now();
  if (m_settings.port != m_options.port)
    log(fmt::format("this front-end listens on port {}, but the data centre's settings announce "
                    "port {} (set by the first front-end of this store): serve every front-end on "
                    "one port",
                    m_options.port, m_settings.port));
}

void ServerContext::log(const std::string& line) const {
  if (m_options.log) m_options.log(line);
}

DataCentreSettings ServerContext::settings() {
  std::unique_lock lock(m_settings_mutex);
  const auto now = std::chrono::steady_clock::now();
  if (now - m_settings_read_at < m_options.settings_max_age) return m_settings;
  m_settings_read_at = now; // one reader at a time; the others use the last
  lock.unlock();
  std::optional<SettingsStore::Versioned> stored;
  try {
    stored = m_settings_store.load();
  } catch (const std::exception& e) {
    log(fmt::format("reading the data centre's settings failed (the last ones stay): {}",
                    e.what()));
  }
  lock.lock();
  if (stored && stored->settings != m_settings) {
    log(fmt::format("the data centre's settings changed in the store: now {}",
                    describe(stored->settings)));
    m_settings = stored->settings;
  }
  return m_settings;
}

nlohmann::json ServerContext::network_map() {
  const auto s = settings();
  return wire::NetworkMap{1, s.subnets, s.port, s.registration_pair, s.storage_pair}.encode();
}

// --- Session -----------------------------------------------------------------

Session::Session(ServerContext& context, std::string peer_ip)
    : m_context(context), m_peer_ip(std::move(peer_ip)) {}

Frame Session::handle(const Frame& request) {
  try {
    return dispatch(request);
  } catch (const wire::MessageError& e) {
    return make_reply_error(request.id, error_code::bad_request, e.failure().detail);
  } catch (const nlohmann::json::exception& e) {
    return make_reply_error(request.id, error_code::bad_request, e.what());
  } catch (const std::exception& e) {
    return storage_failure(request, e);
  }
}

Frame Session::storage_failure(const Frame& request, const std::exception& error) {
  const auto* known = dynamic_cast<const Error*>(&error);
  if (known && known->code() == Code::usage) // about the request, not the server
    return make_reply_error(request.id, error_code::internal, error.what());
  const std::string key = key_of(request);
  const std::string what =
      fmt::format("{}{}", transport::op_name(request.op),
                  key.empty() ? "" : " " + util::printable(key, core::k_key_in_messages));
  if (m_context.options().log)
    m_context.options().log(
        fmt::format("account {}: {} failed: {}", m_account.value_or("-"), what, error.what()));
  if (known && known->code() == Code::no_space)
    return make_reply_error(request.id, error_code::no_space, "the server's storage is full");
  // The error names paths on the server: the client learns only what failed.
  return make_reply_error(request.id, error_code::internal,
                          fmt::format("the server could not {}: the data centre's storage "
                                      "failed (the cause is in the server's log){}",
                                      what, request.op == Op::put ? "; nothing was stored" : ""));
}

Frame Session::dispatch(const Frame& request) {
  if (!request.header.is_object())
    return make_reply_error(request.id, error_code::bad_request, "the header must be a map");
  switch (request.op) {
  case Op::hello: return hello(request);
  case Op::register_account: return register_account(request);
  case Op::auth: return auth(request);
  case Op::network_map:
    wire::NetworkMapRequest::decode(request.header);
    return make_reply_ok(request.id, wire::NetworkMapReply{m_context.network_map()}.encode());
  case Op::put:
  case Op::get:
  case Op::head:
  case Op::list:
  case Op::remove:
  case Op::lease_acquire:
  case Op::lease_refresh:
  case Op::lease_release:
  case Op::lease_list:
  case Op::lease_break:
  case Op::unregister: break;
  default:
    return make_reply_error(
        request.id, error_code::unsupported,
        fmt::format("this server does not handle {} requests", transport::op_name(request.op)));
  }
  if (!m_account)
    return make_reply_error(request.id, error_code::auth_required,
                            fmt::format("{} needs an authenticated account: send auth first",
                                        transport::op_name(request.op)));
  switch (request.op) {
  case Op::put: return put(request);
  case Op::get: return get(request);
  case Op::head: return head(request);
  case Op::list: return list(request);
  case Op::lease_acquire: return lease_acquire(request);
  case Op::lease_refresh: return lease_refresh(request);
  case Op::lease_release: return lease_release(request);
  case Op::lease_list: return lease_list(request);
  case Op::lease_break: return lease_break(request);
  case Op::unregister: return unregister(request);
  default: return remove(request);
  }
}

Frame Session::hello(const Frame& request) {
  wire::HelloRequest::decode(request.header);
  return make_reply_ok(request.id, wire::HelloReply{fmt::format("offsited/{}", OFFSITE_VERSION),
                                                    wire::k_protocol_version,
                                                    {wire::role::registration, wire::role::storage},
                                                    m_context.network_map()}
                                       .encode());
}

Frame Session::register_account(const Frame& request) {
  const auto code = wire::RegisterRequest::decode(request.header).code;
  const auto settings = m_context.settings();
  if (settings.registration == RegistrationMode::invite) {
    if (!code || code->empty())
      return make_reply_error(request.id, error_code::invite_required,
                              "this data centre registers accounts by invitation only");
    if (!m_context.registry().consume_invite(*code))
      return make_reply_error(request.id, error_code::invalid_invite,
                              "the invitation code is unknown or was used already");
  }
  // Open registration is limited per source (an invitation is its own
  // limit), so that one address cannot create accounts without end.
  const std::string source = "ip:" + address_group(m_peer_ip);
  const bool open = settings.registration == RegistrationMode::open;
  if (open) {
    if (const auto wait = m_context.registrations().retry_after(source))
      return wire::ThrottledReply{static_cast<std::uint64_t>(wait->count()),
                                  "too many accounts were registered from this address within "
                                  "the hour: wait and try again, or ask the data centre's "
                                  "operator"}
          .to_frame(request.id);
  }
  auto created = m_context.registry().create(settings.storage_pair);
  if (open) {
    // Logged once as the limit is reached, not for every refusal after it.
    auto& registrations = m_context.registrations();
    registrations.record(source);
    if (registrations.retry_after(source) && m_context.options().log)
      m_context.options().log(
          fmt::format("{} registered {} accounts within the hour: further registrations from "
                      "it are refused for now (--max-registrations-per-hour)",
                      address_group(m_peer_ip), m_context.options().registrations_per_hour));
  }
  return make_reply_ok(request.id,
                       wire::RegisterReply{created.record.id, created.secret,
                                           created.record.storage_pair, m_context.network_map()}
                           .encode());
}

Frame Session::auth(const Frame& request) {
  const auto [id, secret] = wire::AuthRequest::decode(request.header);
  // Failures count per source address only: an account-wide counter would
  // let anyone lock the owner out with five wrong secrets. They count per
  // front-end too (N front-ends of one store give N times the tries): a
  // shared count would make each stranger's failure a write to the store,
  // and the throttle only slows misbehaving clients (offsited(8)).
  const std::string ip_key = "ip:" + address_group(m_peer_ip);
  auto& throttle = m_context.throttle();
  // Unknown account and wrong secret must look the same (no enumeration).
  // The secret is checked even from a throttled address, so that a correct
  // one is never refused for someone else's failures (a shared NAT).
  const auto record = m_context.registry().find(id);
  if (!record) {
    if (const auto cancelled = m_context.registry().cancelled_at(id, secret))
      return make_reply_error(
          request.id, error_code::account_cancelled,
          fmt::format("the account was cancelled (offsite unregister) on {:%Y-%m-%d %H:%M} UTC",
                      fmt::gmtime(static_cast<std::time_t>(*cancelled))));
  }
  if (!record || !AccountRegistry::secret_matches(*record, secret)) {
    if (const auto wait = throttle.retry_after(ip_key)) {
      return wire::ThrottledReply{static_cast<std::uint64_t>(wait->count()),
                                  "too many failed authentications from this address: wait and "
                                  "try again"}
          .to_frame(request.id);
    }
    throttle.record(ip_key);
    return make_reply_error(request.id, error_code::auth_failed, "unknown account or wrong secret");
  }
  m_auth.id = record->id;
  m_auth.append_only = record->append_only;
  const auto settings = m_context.settings();
  m_auth.quota = record->quota_bytes != 0 ? record->quota_bytes : settings.default_quota;
  m_auth.quota_objects =
      record->quota_objects != 0 ? record->quota_objects : settings.default_quota_objects;
  m_repo = std::make_unique<core::PrefixStore>(m_context.store(),
                                               AccountRegistry::repo_prefix(record->id));
  m_leases = std::make_unique<core::StoreLeases>(m_context.store(),
                                                 AccountRegistry::leases_prefix(record->id));
  m_held.clear();
  m_account = record->id;
  return make_reply_ok(
      request.id, wire::AuthReply{m_auth.append_only, m_auth.quota, record->storage_pair}.encode());
}

Frame Session::put(const Frame& request) {
  const std::string key = wire::PutRequest::decode(request.header).key;
  if (!core::is_valid_key(key)) return invalid_key(request, key);
  if (auto refusal = refuse_object(key, request.payload.size()))
    return make_reply_error(request.id, refusal->code, refusal->message);
  std::string digest; // known once checked: an S3 store signs the payload with it
  if (is_content_addressed(key)) {
    digest = to_hex(core::crypto::sha256(request.payload));
    if (key.substr(key.rfind('/') + 1) != digest)
      return make_reply_error(
          request.id, error_code::hash_mismatch,
          fmt::format("the data's SHA-256 is {}, not the name of {}", digest, key));
  }
  if (key.starts_with("index/") || key.starts_with("snapshots/"))
    if (auto refusal = refuse_commit(request)) return std::move(*refusal);
  const std::uint64_t size = request.payload.size();
  switch (m_context.quotas().reserve(m_auth.id, size, m_auth.quota, m_auth.quota_objects)) {
  case UsageLedger::Verdict::done: break;
  case UsageLedger::Verdict::over_bytes:
    return make_reply_error(
        request.id, error_code::quota_exceeded,
        fmt::format("storing {} more bytes would exceed the account's quota of {} bytes", size,
                    m_auth.quota));
  case UsageLedger::Verdict::over_objects:
    return make_reply_error(
        request.id, error_code::quota_exceeded,
        fmt::format("one more object would exceed the account's limit of {} objects",
                    m_auth.quota_objects));
  }
  bool created = false;
  try {
    created = digest.empty() ? repo().put(key, request.payload)
                             : repo().put_with_sha256(key, request.payload, digest);
  } catch (...) {
    m_context.quotas().finish(m_auth.id, size, false);
    throw;
  }
  m_context.quotas().finish(m_auth.id, size, created);
  core::crash_point("server-put-before-ack");
  return make_reply_ok(request.id, wire::PutReply{created}.encode());
}

Frame Session::get(const Frame& request) {
  const auto [key, offset, length] = wire::GetRequest::decode(request.header);
  if (!core::is_valid_key(key)) return invalid_key(request, key);
  auto data = repo().get(key, offset, length);
  if (!data)
    return make_reply_error(request.id, error_code::not_found, fmt::format("no object {}", key));
  // A reply must fit in one frame; objects are at most a pack in size.
  if (data->size() + 4096 > transport::k_max_frame_size)
    return make_reply_error(request.id, error_code::too_large,
                            "the object is larger than a frame: ask for a byte range");
  return make_reply_ok(request.id, wire::GetReply{}.encode(), std::move(*data));
}

Frame Session::head(const Frame& request) {
  const std::string key = wire::HeadRequest::decode(request.header).key;
  if (!core::is_valid_key(key)) return invalid_key(request, key);
  const auto size = repo().head(key);
  if (!size)
    return make_reply_error(request.id, error_code::not_found, fmt::format("no object {}", key));
  return make_reply_ok(request.id, wire::HeadReply{*size}.encode());
}

Frame Session::list(const Frame& request) {
  const auto asked = wire::ListRequest::decode(request.header);
  if (!is_list_prefix(asked.prefix)) return invalid_key(request, asked.prefix);
  const auto limit = std::min(asked.limit.value_or(wire::k_max_list_limit), wire::k_max_list_limit);
  auto page = repo().list(asked.prefix, asked.start_after, static_cast<std::size_t>(limit));
  wire::ListReply reply;
  reply.truncated = page.truncated;
  for (auto& object : page.objects)
    reply.objects.push_back({std::move(object.key), object.size});
  return make_reply_ok(request.id, reply.encode());
}

Frame Session::remove(const Frame& request) {
  const std::string key = wire::RemoveRequest::decode(request.header).key;
  if (!core::is_valid_key(key)) return invalid_key(request, key);
  if (auto refusal = refuse_delete(request)) return std::move(*refusal);
  const auto size = repo().head(key);
  const bool removed = repo().remove(key);
  if (removed && size) m_context.quotas().removed(m_auth.id, *size, 1);
  return make_reply_ok(request.id, wire::RemoveReply{removed}.encode());
}

} // namespace offsite::server
