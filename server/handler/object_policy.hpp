#pragma once
// What an account may store: only the names and sizes a repository uses
// (core/repo/repository.hpp), so that a client holding nothing but the
// account's secret cannot plant objects that every other client of the
// account then trips over, nor fill the file system with deep or long names.
//
//   config                     at most k_max_small_object bytes
//   keys/<1-64 hex>            at most k_max_small_object bytes
//   locks/<name>               at most k_max_small_object bytes
//   data/<xy>/<xy + 62 hex>    a pack, at most k_max_pack_object bytes
//   index/<64 hex>             at most k_max_pack_object bytes
//   snapshots/<64 hex>         at most k_max_snapshot_object bytes
//
// Hex is lower case. Whether a content-addressed name matches its bytes is
// checked separately (is_content_addressed in handler.hpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace offsite::server {

inline constexpr std::size_t k_max_small_object = 64u << 10;
inline constexpr std::size_t k_max_snapshot_object = 16u << 20;
inline constexpr std::size_t k_max_pack_object = 64u << 20;

struct ObjectRefusal {
  std::string_view code; // a transport::wire::error_code
  std::string message;
};

// nullopt when an object named `key` of `size` bytes may be stored.
std::optional<ObjectRefusal> refuse_object(std::string_view key, std::size_t size);

} // namespace offsite::server
