#pragma once
// The protocol's messages (offsite-protocol(7)): one struct per request and
// per reply, the only place that names a header field. Both programs build
// headers with encode() and read them with decode(); nothing else in cli/
// or server/ touches a header's fields.
//
// Contract of every message:
//   - `op` is the request's frame op (replies travel as reply_ok).
//   - encode() returns the frame header, a map; it never throws.
//   - decode(header) checks every field it reads (type, size, range) and
//     throws MessageError (transport/wire/message_fields.hpp: a protocol
//     failure naming the message and the field) on the first that breaks
//     its rule. Unknown fields are ignored; optional fields may be absent
//     or null.
//   - A payload (put's data, get's answer) is the frame's, beside the
//     header, so that 16 MiB packs are never copied into a struct.
//   - Object keys are checked here for type and size only; their syntax is
//     the store's rule (core::is_valid_key), which the server applies with
//     its own error code (invalid_key) and the client to listed keys.
//   - Network maps and storage pairs are carried as documents: the client
//     checks them with its update policy (cli/config apply_network_map),
//     which ignores a bad map with a warning instead of failing the login.
//
// Families: session and accounts (hello, register_account, auth,
// network_map, unregister) in messages_session.cpp, objects (put, get,
// head, list, remove) in messages_objects.cpp, leases in
// messages_leases.cpp, errors in frame.cpp (make_reply_error, error_of).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "transport/wire/frame.hpp"
#include "transport/wire/message_fields.hpp"

namespace offsite::transport::wire {

// --- errors: the stable codes of an error reply ------------------------------

namespace error_code {
inline constexpr std::string_view account_cancelled = "account_cancelled";
inline constexpr std::string_view append_only = "append_only";
inline constexpr std::string_view auth_failed = "auth_failed";
inline constexpr std::string_view auth_required = "auth_required";
inline constexpr std::string_view bad_request = "bad_request";
inline constexpr std::string_view hash_mismatch = "hash_mismatch";
inline constexpr std::string_view internal = "internal";
inline constexpr std::string_view invalid_invite = "invalid_invite";
inline constexpr std::string_view invalid_key = "invalid_key";
inline constexpr std::string_view invite_required = "invite_required";
inline constexpr std::string_view lease_lost = "lease_lost";
inline constexpr std::string_view lease_required = "lease_required";
inline constexpr std::string_view locked = "locked";
inline constexpr std::string_view no_space = "no_space";
inline constexpr std::string_view not_found = "not_found";
inline constexpr std::string_view quota_exceeded = "quota_exceeded";
inline constexpr std::string_view throttled = "throttled";
inline constexpr std::string_view too_large = "too_large";
inline constexpr std::string_view unsupported = "unsupported";
} // namespace error_code

// True when `reply` is an error reply with this code.
bool is_error(const Frame& reply, std::string_view code);

// --- session and accounts ----------------------------------------------------

inline constexpr std::uint64_t k_protocol_version = 1;

// What a server may do, as the roles of its hello reply name it.
namespace role {
inline constexpr const char* registration = "registration";
inline constexpr const char* storage = "storage";
} // namespace role

// A network map as the server announces it:
//   {version, subnets: [CIDR...], port, registration: [IP:PORT...], storage: [...]}
// The server encodes this struct; the client reads the document with the
// field names below under its own policy (see the top of this file).
struct NetworkMap {
  std::uint64_t version = 1;
  std::vector<std::string> subnets;
  std::uint16_t port = 16384;
  std::vector<std::string> registration;
  std::vector<std::string> storage;

  nlohmann::json encode() const;
};
namespace network_map_field {
inline constexpr const char* version = "version";
inline constexpr const char* subnets = "subnets";
inline constexpr const char* port = "port";
inline constexpr const char* registration = "registration";
inline constexpr const char* storage = "storage";
} // namespace network_map_field

struct HelloRequest {
  static constexpr Op op = Op::hello;
  std::string client; // "offsite/VERSION"; may be empty
  std::optional<std::uint64_t> protocol;

  nlohmann::json encode() const;
  static HelloRequest decode(const nlohmann::json& header);
};

// clang-tidy 14 cannot see that nlohmann::json's move operations, which the
// implicit ones call, never throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct HelloReply {
  std::string server; // "offsited/VERSION"; "" when the server did not say
  std::uint64_t protocol = k_protocol_version;
  std::vector<std::string> roles;
  nlohmann::json network_map; // a NetworkMap document; null when absent

  nlohmann::json encode() const;
  static HelloReply decode(const nlohmann::json& header);
};

struct RegisterRequest {
  static constexpr Op op = Op::register_account;
  std::optional<std::string> code; // the invitation, when the data centre needs one

  nlohmann::json encode() const;
  static RegisterRequest decode(const nlohmann::json& header);
};

struct RegisterReply {
  std::string account_id;
  std::string secret;
  nlohmann::json storage_pair; // ["IP:PORT", "IP:PORT"]; null when absent
  nlohmann::json network_map;  // null when absent

  nlohmann::json encode() const;
  static RegisterReply decode(const nlohmann::json& header);
};

struct AuthRequest {
  static constexpr Op op = Op::auth;
  std::string account_id;
  std::string secret;

  nlohmann::json encode() const;
  static AuthRequest decode(const nlohmann::json& header);
};

struct AuthReply {
  bool append_only = false; // false when an older server does not say
  std::uint64_t quota_bytes = 0;
  nlohmann::json storage_pair; // the account's pair; null when absent

  nlohmann::json encode() const;
  static AuthReply decode(const nlohmann::json& header);
};

struct NetworkMapRequest {
  static constexpr Op op = Op::network_map;
  nlohmann::json encode() const;
  static NetworkMapRequest decode(const nlohmann::json& header);
};

struct NetworkMapReply {
  nlohmann::json network_map;

  nlohmann::json encode() const;
  static NetworkMapReply decode(const nlohmann::json& header);
};

struct UnregisterRequest {
  static constexpr Op op = Op::unregister;
  nlohmann::json encode() const;
  static UnregisterRequest decode(const nlohmann::json& header);
};

struct UnregisterReply {
  std::uint64_t objects_deleted = 0;
  std::uint64_t bytes_deleted = 0;

  nlohmann::json encode() const;
  static UnregisterReply decode(const nlohmann::json& header);
};

// The throttle's answer to auth carries how long to wait.
struct ThrottledReply {
  std::uint64_t retry_after_ms = 0;
  std::string message;

  Frame to_frame(std::uint32_t id) const;
};

// --- objects -----------------------------------------------------------------

inline constexpr std::uint64_t k_max_list_limit = 1000;

struct PutRequest { // + payload: the object's bytes
  static constexpr Op op = Op::put;
  std::string key;

  nlohmann::json encode() const;
  static PutRequest decode(const nlohmann::json& header);
};

struct PutReply {
  bool created = false; // false: the key existed, nothing changed

  nlohmann::json encode() const;
  static PutReply decode(const nlohmann::json& header);
};

struct GetRequest {
  static constexpr Op op = Op::get;
  std::string key;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length; // to the end when absent

  nlohmann::json encode() const;
  static GetRequest decode(const nlohmann::json& header);
};

struct GetReply { // + payload: the bytes asked for
  nlohmann::json encode() const;
  static GetReply decode(const nlohmann::json& header);
};

struct HeadRequest {
  static constexpr Op op = Op::head;
  std::string key;

  nlohmann::json encode() const;
  static HeadRequest decode(const nlohmann::json& header);
};

struct HeadReply {
  std::uint64_t size = 0;

  nlohmann::json encode() const;
  static HeadReply decode(const nlohmann::json& header);
};

struct ListRequest {
  static constexpr Op op = Op::list;
  std::string prefix;
  std::string start_after;
  std::optional<std::uint64_t> limit; // 1.. ; the server caps it at k_max_list_limit

  nlohmann::json encode() const;
  static ListRequest decode(const nlohmann::json& header);
};

struct ListedObject {
  std::string key;
  std::uint64_t size = 0;
  bool operator==(const ListedObject&) const = default;
};

struct ListReply {
  std::vector<ListedObject> objects; // sorted by key
  bool truncated = false;            // true: ask again after the last key

  nlohmann::json encode() const;
  static ListReply decode(const nlohmann::json& header);
  // The page answers `request`: at most its limit, every key inside its
  // prefix, after its start_after and in strictly increasing order.
  // MessageError otherwise.
  void check_answers(const ListRequest& request) const;
};

struct RemoveRequest {
  static constexpr Op op = Op::remove;
  std::string key;

  nlohmann::json encode() const;
  static RemoveRequest decode(const nlohmann::json& header);
};

struct RemoveReply {
  bool removed = false; // false: there was nothing to remove

  nlohmann::json encode() const;
  static RemoveReply decode(const nlohmann::json& header);
};

// --- leases ------------------------------------------------------------------

enum class LeaseKind { shared, exclusive };
std::string_view lease_kind_name(LeaseKind kind);

inline constexpr std::size_t k_max_owner_field = 256; // host, user, command

// A lease as the server reports it (the fields of core::Lease).
struct LeaseRecord {
  std::string id; // 16 lower-case hex digits
  LeaseKind kind = LeaseKind::shared;
  std::string host;
  std::int64_t pid = 0;
  std::string user;
  std::string command;
  std::int64_t created_ms = 0; // on the server's clock
  std::int64_t expires_ms = 0;
  std::uint64_t seq = 1;

  nlohmann::json encode() const;
  // `message` names the reply the record is part of, for errors.
  static LeaseRecord decode(const nlohmann::json& record, std::string_view message);
  bool operator==(const LeaseRecord&) const = default;
};

struct LeaseAcquireRequest {
  static constexpr Op op = Op::lease_acquire;
  LeaseKind kind = LeaseKind::shared;
  std::string host; // each at most k_max_owner_field bytes; "" when absent
  std::string user;
  std::string command;
  std::uint64_t pid = 0;
  std::optional<std::uint64_t> ttl_ms; // the server's default when absent

  nlohmann::json encode() const;
  static LeaseAcquireRequest decode(const nlohmann::json& header);
};

struct LeaseRefreshRequest {
  static constexpr Op op = Op::lease_refresh;
  std::string lease_id;
  std::optional<std::uint64_t> ttl_ms;

  nlohmann::json encode() const;
  static LeaseRefreshRequest decode(const nlohmann::json& header);
};

// The reply to lease_acquire and lease_refresh.
struct LeaseReply {
  LeaseRecord lease;
  std::optional<std::int64_t> now_ms; // the server's clock

  nlohmann::json encode() const;
  static LeaseReply decode(const nlohmann::json& header);
};

struct LeaseReleaseRequest {
  static constexpr Op op = Op::lease_release;
  std::string lease_id;

  nlohmann::json encode() const;
  static LeaseReleaseRequest decode(const nlohmann::json& header);
};

struct LeaseReleaseReply {
  nlohmann::json encode() const;
  static LeaseReleaseReply decode(const nlohmann::json& header);
};

struct LeaseListRequest {
  static constexpr Op op = Op::lease_list;
  nlohmann::json encode() const;
  static LeaseListRequest decode(const nlohmann::json& header);
};

inline constexpr std::size_t k_max_listed_leases = 16'384; // what a 1 MiB header can hold

struct LeaseListReply {
  std::vector<LeaseRecord> leases; // live or expired, by creation
  std::int64_t now_ms = 0;

  nlohmann::json encode() const;
  static LeaseListReply decode(const nlohmann::json& header);
};

struct LeaseBreakRequest {
  static constexpr Op op = Op::lease_break;
  std::string lease_id;

  nlohmann::json encode() const;
  static LeaseBreakRequest decode(const nlohmann::json& header);
};

struct LeaseBreakReply {
  bool removed = false;

  nlohmann::json encode() const;
  static LeaseBreakReply decode(const nlohmann::json& header);
};

} // namespace offsite::transport::wire
