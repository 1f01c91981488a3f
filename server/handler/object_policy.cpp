#include "server/handler/object_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/store/store.hpp"
#include "transport/wire/messages.hpp"
#include "util/printable.hpp"

namespace offsite::server {

namespace {

namespace error_code = transport::wire::error_code;

bool is_lower_hex(std::string_view text, std::size_t min, std::size_t max) {
  return text.size() >= min && text.size() <= max &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_lock_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

// The size limit for a well-formed name, or nullopt for a name outside the
// layout.
std::optional<std::size_t> limit_of(std::string_view key) {
  if (key == "config") return k_max_small_object;
  if (key.starts_with("keys/") && is_lower_hex(key.substr(5), 1, 64)) return k_max_small_object;
  if (key.starts_with("locks/") && is_lock_name(key.substr(6))) return k_max_small_object;
  // data/<first two digits of the name>/<name>
  if (key.starts_with("data/") && key.size() == 5 + 3 + 64 && key[7] == '/' &&
      is_lower_hex(key.substr(8), 64, 64) && key.substr(5, 2) == key.substr(8, 2))
    return k_max_pack_object;
  if (key.starts_with("index/") && is_lower_hex(key.substr(6), 64, 64)) return k_max_pack_object;
  if (key.starts_with("snapshots/") && is_lower_hex(key.substr(10), 64, 64))
    return k_max_snapshot_object;
  return std::nullopt;
}

} // namespace

std::optional<ObjectRefusal> refuse_object(std::string_view key, std::size_t size) {
  const auto limit = limit_of(key);
  if (!limit)
    return ObjectRefusal{
        error_code::invalid_key,
        fmt::format("\"{}\" is not a repository object name: an account holds only config, "
                    "keys/<hex>, data/<2 hex>/<sha256>, index/<sha256>, snapshots/<sha256> and "
                    "locks/<name>",
                    util::printable(key, core::k_key_in_messages))};
  if (size > *limit)
    return ObjectRefusal{error_code::too_large,
                         fmt::format("{} of {} bytes exceeds the limit of {} bytes for its kind",
                                     util::printable(key, core::k_key_in_messages), size, *limit)};
  return std::nullopt;
}

} // namespace offsite::server
