// Session and account messages: hello, register_account, auth, network_map,
// unregister (the contract is in messages.hpp).
#include "transport/wire/messages.hpp"

namespace offsite::transport::wire {

namespace {

constexpr const char* k_network_map = "network_map";
constexpr const char* k_storage_pair = "storage_pair";
constexpr const char* k_account_id = "account_id";
constexpr const char* k_secret = "secret";
constexpr const char* k_protocol = "protocol";
constexpr std::size_t k_max_roles = 16;

} // namespace

bool is_error(const Frame& reply, std::string_view code) {
  return reply.op == Op::reply_error && error_of(reply).code == code;
}

nlohmann::json NetworkMap::encode() const {
  return {{network_map_field::version, version},
          {network_map_field::subnets, subnets},
          {network_map_field::port, port},
          {network_map_field::registration, registration},
          {network_map_field::storage, storage}};
}

nlohmann::json HelloRequest::encode() const {
  nlohmann::json header{{"client", client}};
  if (protocol) header[k_protocol] = *protocol;
  return header;
}

HelloRequest HelloRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "hello request");
  return {fields.optional_string("client").value_or(""), fields.optional_unsigned(k_protocol)};
}

nlohmann::json HelloReply::encode() const {
  return {
      {"server", server}, {k_protocol, protocol}, {"roles", roles}, {k_network_map, network_map}};
}

HelloReply HelloReply::decode(const nlohmann::json& header) {
  constexpr std::string_view message = "hello reply";
  const Fields fields(header, message);
  HelloReply reply;
  reply.server = fields.optional_string("server").value_or("");
  reply.protocol = fields.unsigned_number(k_protocol);
  // Roles are informational (no client decision rests on them): what is not a
  // short string is left out rather than failing the hello, and so the
  // connection.
  if (const auto roles = header.find("roles"); roles != header.end() && roles->is_array())
    for (const auto& role : *roles)
      if (role.is_string() && role.get_ref<const std::string&>().size() <= 64 &&
          reply.roles.size() < k_max_roles)
        reply.roles.push_back(role.get<std::string>());
  reply.network_map = fields.document(k_network_map);
  return reply;
}

nlohmann::json RegisterRequest::encode() const {
  nlohmann::json header = nlohmann::json::object();
  if (code) header["code"] = *code;
  return header;
}

RegisterRequest RegisterRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "register_account request");
  return {fields.optional_string("code")};
}

nlohmann::json RegisterReply::encode() const {
  return {{k_account_id, account_id},
          {k_secret, secret},
          {k_storage_pair, storage_pair},
          {k_network_map, network_map}};
}

RegisterReply RegisterReply::decode(const nlohmann::json& header) {
  const Fields fields(header, "register_account reply");
  return {fields.string(k_account_id), fields.string(k_secret), fields.document(k_storage_pair),
          fields.document(k_network_map)};
}

nlohmann::json AuthRequest::encode() const {
  return {{k_account_id, account_id}, {k_secret, secret}};
}

AuthRequest AuthRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "auth request");
  return {fields.string(k_account_id), fields.string(k_secret)};
}

nlohmann::json AuthReply::encode() const {
  return {
      {"append_only", append_only}, {"quota_bytes", quota_bytes}, {k_storage_pair, storage_pair}};
}

AuthReply AuthReply::decode(const nlohmann::json& header) {
  const Fields fields(header, "auth reply");
  return {fields.optional_boolean("append_only").value_or(false),
          fields.optional_unsigned("quota_bytes").value_or(0), fields.document(k_storage_pair)};
}

nlohmann::json NetworkMapRequest::encode() const { return nlohmann::json::object(); }

NetworkMapRequest NetworkMapRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "network_map request");
  return {};
}

nlohmann::json NetworkMapReply::encode() const { return {{k_network_map, network_map}}; }

NetworkMapReply NetworkMapReply::decode(const nlohmann::json& header) {
  const Fields fields(header, "network_map reply");
  return {fields.document(k_network_map)};
}

nlohmann::json UnregisterRequest::encode() const { return nlohmann::json::object(); }

UnregisterRequest UnregisterRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "unregister request");
  return {};
}

nlohmann::json UnregisterReply::encode() const {
  return {{"objects_deleted", objects_deleted}, {"bytes_deleted", bytes_deleted}};
}

UnregisterReply UnregisterReply::decode(const nlohmann::json& header) {
  const Fields fields(header, "unregister reply");
  return {fields.optional_unsigned("objects_deleted").value_or(0),
          fields.optional_unsigned("bytes_deleted").value_or(0)};
}

Frame ThrottledReply::to_frame(std::uint32_t id) const {
  Frame reply = make_reply_error(id, error_code::throttled, message);
  reply.header["retry_after_ms"] = retry_after_ms;
  return reply;
}

} // namespace offsite::transport::wire
