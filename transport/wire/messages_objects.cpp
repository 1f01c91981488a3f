// Object messages: put, get, head, list, remove (the contract is in
// messages.hpp).
#include <fmt/format.h>

#include "transport/wire/messages.hpp"

namespace offsite::transport::wire {

namespace {

constexpr const char* k_key = "key";
constexpr const char* k_objects = "objects";

// Requests that name one object.
std::string key_of(const nlohmann::json& header, std::string_view message) {
  return Fields(header, message).string(k_key);
}

} // namespace

nlohmann::json PutRequest::encode() const { return {{k_key, key}}; }

PutRequest PutRequest::decode(const nlohmann::json& header) {
  return {key_of(header, "put request")};
}

nlohmann::json PutReply::encode() const { return {{"created", created}}; }

PutReply PutReply::decode(const nlohmann::json& header) {
  return {Fields(header, "put reply").boolean("created")};
}

nlohmann::json GetRequest::encode() const {
  nlohmann::json header{{k_key, key}};
  if (offset != 0) header["offset"] = offset;
  if (length) header["length"] = *length;
  return header;
}

GetRequest GetRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "get request");
  return {fields.string(k_key), fields.optional_unsigned("offset").value_or(0),
          fields.optional_unsigned("length")};
}

nlohmann::json GetReply::encode() const { return nlohmann::json::object(); }

GetReply GetReply::decode(const nlohmann::json& header) {
  const Fields fields(header, "get reply");
  return {};
}

nlohmann::json HeadRequest::encode() const { return {{k_key, key}}; }

HeadRequest HeadRequest::decode(const nlohmann::json& header) {
  return {key_of(header, "head request")};
}

nlohmann::json HeadReply::encode() const { return {{"size", size}}; }

HeadReply HeadReply::decode(const nlohmann::json& header) {
  return {Fields(header, "head reply").unsigned_number("size")};
}

nlohmann::json ListRequest::encode() const {
  nlohmann::json header{{"prefix", prefix}, {"start_after", start_after}};
  if (limit) header["limit"] = *limit;
  return header;
}

ListRequest ListRequest::decode(const nlohmann::json& header) {
  const Fields fields(header, "list request");
  ListRequest request{fields.optional_string("prefix").value_or(""),
                      fields.optional_string("start_after").value_or(""),
                      fields.optional_unsigned("limit")};
  if (request.limit == 0u) fields.fail("limit must be at least 1");
  return request;
}

nlohmann::json ListReply::encode() const {
  auto listed = nlohmann::json::array();
  for (const auto& object : objects)
    listed.push_back({object.key, object.size});
  return {{k_objects, std::move(listed)}, {"truncated", truncated}};
}

ListReply ListReply::decode(const nlohmann::json& header) {
  constexpr std::string_view message = "list reply";
  const Fields fields(header, message);
  ListReply reply;
  const auto& listed = fields.array(k_objects, k_max_list_limit);
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const auto& entry = listed[i];
    const std::string where = fmt::format("objects[{}]", i);
    if (!entry.is_array() || entry.size() != 2)
      fields.fail(fmt::format("{} must be a [key, size] pair", where));
    reply.objects.push_back({string_item(entry[0], message, where + " key"),
                             unsigned_item(entry[1], message, where + " size")});
  }
  reply.truncated = fields.boolean("truncated");
  return reply;
}

void ListReply::check_answers(const ListRequest& request) const {
  constexpr std::string_view message = "list reply";
  if (request.limit && objects.size() > *request.limit)
    throw MessageError(message, fmt::format("{} objects listed, more than the {} asked for",
                                            objects.size(), *request.limit));
  const std::string* previous = &request.start_after;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const auto& key = objects[i].key;
    if (!key.starts_with(request.prefix))
      throw MessageError(message, fmt::format("objects[{}] is outside the prefix", i));
    if (key <= *previous)
      throw MessageError(message, fmt::format("objects[{}] is out of order", i));
    previous = &key;
  }
}

nlohmann::json RemoveRequest::encode() const { return {{k_key, key}}; }

RemoveRequest RemoveRequest::decode(const nlohmann::json& header) {
  return {key_of(header, "remove request")};
}

nlohmann::json RemoveReply::encode() const { return {{"removed", removed}}; }

RemoveReply RemoveReply::decode(const nlohmann::json& header) {
  return {Fields(header, "remove reply").boolean("removed")};
}

} // namespace offsite::transport::wire
