// Lease messages: acquire, refresh, release, list, break (the contract is
// in messages.hpp).
#include <algorithm>

#include <fmt/format.h>

#include "transport/wire/messages.hpp"

namespace offsite::transport::wire {

namespace {

constexpr const char* k_lease = "lease";
constexpr const char* k_lease_id = "lease_id";
constexpr const char* k_now_ms = "now_ms";
constexpr const char* k_ttl_ms = "ttl_ms";
constexpr const char* k_kind = "kind";
constexpr std::size_t k_lease_id_length = 16;

LeaseKind kind_of(const Fields& fields) {
  const auto name = fields.optional_string(k_kind, 16).value_or("");
  if (name == lease_kind_name(LeaseKind::shared)) return LeaseKind::shared;
  if (name == lease_kind_name(LeaseKind::exclusive)) return LeaseKind::exclusive;
  fields.fail("kind must be \"shared\" or \"exclusive\"");
}

bool is_lease_id(std::string_view id) {
  return id.size() == k_lease_id_length && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Requests that name one lease. Its syntax is not checked: an id that names
// nothing is answered as a lease that is gone.
std::string lease_id_of(const nlohmann::json& header, std::string_view message) {
  return Fields(header, message).string(k_lease_id);
}

} // namespace

std::string_view lease_kind_name(LeaseKind kind) {
  return kind == LeaseKind::exclusive ? "exclusive" : "shared";
}

nlohmann::json LeaseRecord::encode() const {
  return {{"id", id},
          {k_kind, lease_kind_name(kind)},
          {"host", host},
          {"pid", pid},
          {"user", user},
          {"command", command},
          {"created_ms", created_ms},
          {"expires_ms", expires_ms},
          {"seq", seq}};
}

LeaseRecord LeaseRecord::decode(const nlohmann::json& record, std::string_view message) {
  const Fields fields(record, message);
  LeaseRecord lease;
  lease.id = fields.string("id", k_lease_id_length);
  if (!is_lease_id(lease.id)) fields.fail("a lease id must be 16 lower-case hex digits");
  lease.kind = kind_of(fields);
  lease.host = fields.string("host", k_max_owner_field);
  lease.pid = fields.signed_number("pid");
  lease.user = fields.string("user", k_max_owner_field);
  lease.command = fields.string("command", k_max_owner_field);
  lease.created_ms = fields.signed_number("created_ms");
  lease.expires_ms = fields.signed_number("expires_ms");
  lease.seq = fields.unsigned_number("seq");
  return lease;
}

nlohmann::json LeaseAcquireRequest::encode() const {
  nlohmann::json header{{k_kind, lease_kind_name(kind)},
                        {"host", host},
                        {"user", user},
                        {"command", command},
                        {"pid", pid}};
  if (ttl_ms) header[k_ttl_ms] = *ttl_ms;
  return header;
}

LeaseAcquireRequest LeaseAcquireRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "lease_acquire request");
  LeaseAcquireRequest request;
  request.kind = kind_of(fields);
  request.host = fields.optional_string("host", k_max_owner_field).value_or("");
  request.user = fields.optional_string("user", k_max_owner_field).value_or("");
  request.command = fields.optional_string("command", k_max_owner_field).value_or("");
  request.pid = fields.optional_unsigned("pid").value_or(0);
  request.ttl_ms = fields.optional_unsigned(k_ttl_ms);
  return request;
}

nlohmann::json LeaseRefreshRequest::encode() const {
  nlohmann::json header{{k_lease_id, lease_id}};
  if (ttl_ms) header[k_ttl_ms] = *ttl_ms;
  return header;
}

LeaseRefreshRequest LeaseRefreshRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "lease_refresh request");
  return {fields.string(k_lease_id), fields.optional_unsigned(k_ttl_ms)};
}

nlohmann::json LeaseReply::encode() const {
  nlohmann::json header{{k_lease, lease.encode()}};
  if (now_ms) header[k_now_ms] = *now_ms;
  return header;
}

LeaseReply LeaseReply::decode(const nlohmann::json& header) {
  constexpr std::string_view message = "lease reply";
  const Fields fields(header, message);
  const auto record = fields.document(k_lease);
  if (record.is_null()) fields.fail("field \"lease\" must be a map");
  return {LeaseRecord::decode(record, message), fields.optional_signed(k_now_ms)};
}

nlohmann::json LeaseReleaseRequest::encode() const { return {{k_lease_id, lease_id}}; }

LeaseReleaseRequest LeaseReleaseRequest::decode(const nlohmann::json& header) {
  return {lease_id_of(header, "lease_release request")};
}

nlohmann::json LeaseReleaseReply::encode() const { return nlohmann::json::object(); }

LeaseReleaseReply LeaseReleaseReply::decode(const nlohmann::json& header) {
  const Fields fields(header, "lease_release reply");
  return {};
}

nlohmann::json LeaseListRequest::encode() const { return nlohmann::json::object(); }

LeaseListRequest LeaseListRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "lease_list request");
  return {};
}

nlohmann::json LeaseListReply::encode() const {
  auto records = nlohmann::json::array();
  for (const auto& lease : leases)
    records.push_back(lease.encode());
  return {{"leases", std::move(records)}, {k_now_ms, now_ms}};
}

LeaseListReply LeaseListReply::decode(const nlohmann::json& header) {
  const Fields fields(header, "lease_list reply");
  LeaseListReply reply;
  const auto& records = fields.array("leases", k_max_listed_leases);
  for (std::size_t i = 0; i < records.size(); ++i)
    reply.leases.push_back(
        LeaseRecord::decode(records[i], fmt::format("lease_list reply [{}]", i)));
  reply.now_ms = fields.signed_number(k_now_ms);
  return reply;
}

nlohmann::json LeaseBreakRequest::encode() const { return {{k_lease_id, lease_id}}; }

LeaseBreakRequest LeaseBreakRequest::decode(const nlohmann::json& header) {
  return {lease_id_of(header, "lease_break request")};
}

nlohmann::json LeaseBreakReply::encode() const { return {{"removed", removed}}; }

LeaseBreakReply LeaseBreakReply::decode(const nlohmann::json& header) {
  return {Fields(header, "lease_break reply").boolean("removed")};
}

} // namespace offsite::transport::wire
