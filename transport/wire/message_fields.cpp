#include "transport/wire/message_fields.hpp"

#include <limits>

#include <fmt/format.h>

namespace offsite::transport::wire {

namespace {

// nlohmann keeps a CBOR positive integer as unsigned and a JSON literal as
// signed: both are accepted when the value fits.
std::optional<std::uint64_t> as_unsigned(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  return std::nullopt;
}

std::optional<std::int64_t> as_signed(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(number);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

std::string checked_string(const nlohmann::json& value, std::string_view message,
                           std::string_view where, std::size_t max_size) {
  if (!value.is_string()) throw MessageError(message, fmt::format("{} must be a string", where));
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() > max_size)
    throw MessageError(message, fmt::format("{} is longer than {} bytes", where, max_size));
  return text;
}

std::string field_name(const char* name) { return fmt::format("field \"{}\"", name); }

} // namespace

MessageError::MessageError(std::string_view message, std::string detail)
    : TransportError(FailureKind::protocol, std::string(message), std::move(detail)) {}

Fields::Fields(const nlohmann::json& header, std::string_view message)
    : m_header(header), m_message(message) {
  if (!header.is_object()) fail("the header must be a map");
}

void Fields::fail(std::string detail) const { throw MessageError(m_message, std::move(detail)); }

const nlohmann::json* Fields::find(const char* name) const {
  const auto it = m_header.find(name);
  if (it == m_header.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json* Fields::require(const char* name, std::string_view what) const {
  const auto* value = find(name);
  if (!value) fail(fmt::format("{} must be {}", field_name(name), what));
  return value;
}

std::string Fields::string(const char* name, std::size_t max_size) const {
  return checked_string(*require(name, "a string"), m_message, field_name(name), max_size);
}

std::optional<std::string> Fields::optional_string(const char* name, std::size_t max_size) const {
  const auto* value = find(name);
  if (!value) return std::nullopt;
  return checked_string(*value, m_message, field_name(name), max_size);
}

std::uint64_t Fields::unsigned_number(const char* name) const {
  const auto value = as_unsigned(*require(name, "a non-negative integer"));
  if (!value) fail(fmt::format("{} must be a non-negative integer", field_name(name)));
  return *value;
}

std::optional<std::uint64_t> Fields::optional_unsigned(const char* name) const {
  if (!find(name)) return std::nullopt;
  return unsigned_number(name);
}

std::int64_t Fields::signed_number(const char* name) const {
  const auto value = as_signed(*require(name, "an integer"));
  if (!value) fail(fmt::format("{} must be an integer", field_name(name)));
  return *value;
}

std::optional<std::int64_t> Fields::optional_signed(const char* name) const {
  if (!find(name)) return std::nullopt;
  return signed_number(name);
}

bool Fields::boolean(const char* name) const {
  const auto* value = require(name, "true or false");
  if (!value->is_boolean()) fail(fmt::format("{} must be true or false", field_name(name)));
  return value->get<bool>();
}

std::optional<bool> Fields::optional_boolean(const char* name) const {
  if (!find(name)) return std::nullopt;
  return boolean(name);
}

const nlohmann::json& Fields::array(const char* name, std::size_t max_items) const {
  const auto* value = require(name, "a list");
  if (!value->is_array()) fail(fmt::format("{} must be a list", field_name(name)));
  if (value->size() > max_items)
    fail(
        fmt::format("{} holds {} items, more than {}", field_name(name), value->size(), max_items));
  return *value;
}

nlohmann::json Fields::document(const char* name) const {
  const auto* value = find(name);
  return value ? *value : nlohmann::json();
}

std::string string_item(const nlohmann::json& item, std::string_view message,
                        std::string_view where, std::size_t max_size) {
  return checked_string(item, message, where, max_size);
}

std::uint64_t unsigned_item(const nlohmann::json& item, std::string_view message,
                            std::string_view where) {
  const auto value = as_unsigned(item);
  if (!value) throw MessageError(message, fmt::format("{} must be a non-negative integer", where));
  return *value;
}

} // namespace offsite::transport::wire
