#pragma once
// Reading fields of a request header. A malformed field throws BadRequest,
// which Session::handle turns into a bad_request reply (the connection
// stays open).

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace offsite::server {

constexpr std::size_t k_max_field_size = 1024; // keys, ids, secrets, codes

struct BadRequest {
  std::string message;
};

std::string string_field(const nlohmann::json& header, const char* name);
std::optional<std::string> optional_string(const nlohmann::json& header, const char* name);
std::optional<std::uint64_t> optional_unsigned(const nlohmann::json& header, const char* name);

} // namespace offsite::server
