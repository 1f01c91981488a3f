#pragma once
// The field rules every message decode applies (types, sizes, ranges), in
// one place so that a request and a reply are checked alike. A header comes
// from the network: a failure names the message and the field but never
// quotes the value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "transport/net/failure.hpp"

namespace offsite::transport::wire {

// Keys, ids, secrets, codes, names: the longest text field a peer accepts.
inline constexpr std::size_t k_max_field_size = 1024;

// A header that breaks its message's rules: a protocol failure whose step
// names the message ("put request") and whose detail names the field
// (`field "key" must be a string`). The server answers it with bad_request,
// the client reports a malformed reply.
class MessageError : public TransportError {
public:
  MessageError(std::string_view message, std::string detail);
};

// Reads the fields of one header (a map; anything else is a MessageError
// at construction). A field that is absent or null counts as absent, so an
// optional field may be sent as null. Fields the message does not know are
// ignored: a newer peer may send more.
class Fields {
public:
  Fields(const nlohmann::json& header, std::string_view message);

  std::string string(const char* name, std::size_t max_size = k_max_field_size) const;
  std::optional<std::string> optional_string(const char* name,
                                             std::size_t max_size = k_max_field_size) const;
  // Non-negative integers up to 2^64-1.
  std::uint64_t unsigned_number(const char* name) const;
  std::optional<std::uint64_t> optional_unsigned(const char* name) const;
  // Integers within int64 (clock readings, process ids).
  std::int64_t signed_number(const char* name) const;
  std::optional<std::int64_t> optional_signed(const char* name) const;
  bool boolean(const char* name) const;
  std::optional<bool> optional_boolean(const char* name) const;
  // An array of at most `max_items` items (their own checks are the caller's).
  const nlohmann::json& array(const char* name, std::size_t max_items) const;
  // Any value, null when absent: a document whose shape its reader checks.
  nlohmann::json document(const char* name) const;

  [[noreturn]] void fail(std::string detail) const;

private:
  const nlohmann::json* find(const char* name) const; // nullptr when absent or null
  const nlohmann::json* require(const char* name, std::string_view what) const;
  const nlohmann::json& m_header;
  std::string_view m_message;
};

// The same rules for one item of an array (`where` names it: "objects[3]").
std::string string_item(const nlohmann::json& item, std::string_view message,
                        std::string_view where, std::size_t max_size = k_max_field_size);
std::uint64_t unsigned_item(const nlohmann::json& item, std::string_view message,
                            std::string_view where);

} // namespace offsite::transport::wire
