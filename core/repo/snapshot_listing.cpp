#include "core/repo/snapshot_listing.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/store/store.hpp"
#include "util/printable.hpp"

namespace offsite::core {

namespace {

bool is_snapshot_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

} // namespace

bool SnapshotListing::is_damaged(const std::string& id) const {
  return std::any_of(damaged.begin(), damaged.end(),
                     [&](const DamagedSnapshot& d) { return d.id == id; });
}

SnapshotListing list_intact_snapshots(Repository& repo) {
  SnapshotListing out;
  for (const auto& object : list_all(repo.store(), std::string(k_snapshots_prefix))) {
    std::string id = object.key.substr(k_snapshots_prefix.size());
    if (!is_snapshot_id(id)) {
      out.stray_names.push_back(object.key);
      continue;
    }
    try {
      out.snapshots.push_back(repo.load_snapshot(id));
    } catch (const Error& e) {
      if (e.code() == Code::not_found) continue; // forgotten meanwhile
      if (e.code() != Code::integrity) throw;
      out.damaged.push_back({std::move(id), e.what()});
    }
  }
  std::sort(out.snapshots.begin(), out.snapshots.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.id < b.id;
  });
  std::sort(out.damaged.begin(), out.damaged.end(),
            [](const DamagedSnapshot& a, const DamagedSnapshot& b) { return a.id < b.id; });
  return out;
}

std::vector<std::string> listing_warnings(const SnapshotListing& listing) {
  std::vector<std::string> out;
  for (const auto& d : listing.damaged)
    out.push_back(fmt::format("damaged snapshot {} is left out ({}); \"offsite forget {}\" "
                              "removes it",
                              d.id, d.reason, d.id));
  for (const auto& name : listing.stray_names)
    out.push_back(fmt::format("\"{}\" is not a snapshot ID and is ignored (offsite never "
                              "writes such a name)",
                              util::printable(name, {.max_chars = 100, .quoted = true})));
  return out;
}

} // namespace offsite::core
