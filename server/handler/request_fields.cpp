#include "server/handler/request_fields.hpp"

#include <fmt/format.h>

namespace offsite::server {

std::string string_field(const nlohmann::json& header, const char* name) {
  const auto it = header.find(name);
  if (it == header.end() || !it->is_string())
    throw BadRequest{fmt::format("field \"{}\" must be a string", name)};
  auto value = it->get<std::string>();
  if (value.size() > k_max_field_size)
    throw BadRequest{fmt::format("field \"{}\" is too long", name)};
  return value;
}

std::optional<std::string> optional_string(const nlohmann::json& header, const char* name) {
  const auto it = header.find(name);
  if (it == header.end() || it->is_null()) return std::nullopt;
  return string_field(header, name);
}

std::optional<std::uint64_t> optional_unsigned(const nlohmann::json& header, const char* name) {
  const auto it = header.find(name);
  if (it == header.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
    throw BadRequest{fmt::format("field \"{}\" must be a non-negative integer", name)};
  return it->get<std::uint64_t>();
}

} // namespace offsite::server
