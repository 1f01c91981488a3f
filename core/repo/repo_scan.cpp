#include "core/repo/repo_scan.hpp"

#include <algorithm>

#include "core/crypto/crypto.hpp"
#include "core/format/pack.hpp"

namespace offsite::core {

namespace {

constexpr std::string_view k_data_prefix = "data/";
constexpr std::size_t k_header_fixed = 1 + 4; // version, count (pack.cpp)

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

} // namespace

std::map<std::string, std::uint64_t> list_packs(Store& store, std::vector<std::string>* stray) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& o : list_all(store, k_data_prefix)) {
    const std::string_view rest = std::string_view(o.key).substr(k_data_prefix.size());
    const bool valid = rest.size() == 3 + 64 && rest[2] == '/' && is_lower_hex(rest.substr(3)) &&
                       rest.substr(0, 2) == rest.substr(3, 2);
    if (valid)
      out.emplace(std::string(rest.substr(3)), o.size);
    else if (stray)
      stray->push_back(o.key);
  }
  return out;
}

std::map<std::string, const IndexedPack*> packs_by_name(const std::vector<IndexFile>& files) {
  std::map<std::string, const IndexedPack*> out;
  for (const auto& f : files)
    for (const auto& p : f.packs)
      out.emplace(p.name, &p);
  return out;
}

std::uint64_t expected_pack_size(const std::vector<PackEntry>& entries) {
  std::uint64_t blobs = 0;
  for (const auto& e : entries)
    blobs = std::max<std::uint64_t>(blobs, std::uint64_t{e.offset} + e.length);
  return blobs + crypto::k_seal_overhead + k_header_fixed + entries.size() * k_pack_entry_size +
         k_pack_trailer_size;
}

} // namespace offsite::core
