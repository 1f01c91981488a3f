#include "core/repo/rollback_memory.hpp"

#include <algorithm>

namespace offsite::core {

namespace {

bool newer(const SeenSnapshot& a, const SeenSnapshot& b) {
  return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.id > b.id;
}

std::optional<SeenSnapshot> newest_of(const SnapshotListing& listing, const std::string& host) {
  std::optional<SeenSnapshot> out;
  for (const auto& s : listing.snapshots) {
    if (s.host != host) continue;
    const SeenSnapshot seen{s.id, s.time_ns};
    if (!out || newer(seen, *out)) out = seen;
  }
  return out;
}

} // namespace

RollbackMemory RollbackMemory::from_json(const nlohmann::json& doc) {
  RollbackMemory out;
  if (!doc.is_object() || !doc.contains("newest_by_host") || !doc["newest_by_host"].is_object())
    return out;
  for (const auto& [host, seen] : doc["newest_by_host"].items()) {
    if (!seen.is_object() || !seen.contains("id") || !seen["id"].is_string() ||
        !seen.contains("time_ns") || !seen["time_ns"].is_number_integer())
      continue;
    out.m_newest[host] = {seen["id"].get<std::string>(), seen["time_ns"].get<std::int64_t>()};
  }
  return out;
}

nlohmann::json RollbackMemory::to_json() const {
  nlohmann::json hosts = nlohmann::json::object();
  for (const auto& [host, seen] : m_newest)
    hosts[host] = {{"id", seen.id}, {"time_ns", seen.time_ns}};
  return {{"version", 1}, {"newest_by_host", std::move(hosts)}};
}

std::vector<RollbackFinding> RollbackMemory::find_rollbacks(const SnapshotListing& listing) const {
  std::vector<RollbackFinding> out;
  for (const auto& [host, remembered] : m_newest) {
    if (listing.is_damaged(remembered.id)) continue; // damage, reported as such
    const auto newest = newest_of(listing, host);
    // Times alone: `tag` replaces a snapshot by one of the same time and
    // another ID, which is no step back.
    if (newest && newest->time_ns >= remembered.time_ns) continue;
    out.push_back({host, remembered, newest});
  }
  return out;
}

bool RollbackMemory::remember_saved(const Snapshot& snapshot) {
  const SeenSnapshot seen{snapshot.id, snapshot.time_ns};
  auto [it, added] = m_newest.try_emplace(snapshot.host, seen);
  if (added) return true;
  if (!newer(seen, it->second)) return false;
  it->second = seen;
  return true;
}

bool RollbackMemory::remember_newer(const SnapshotListing& listing) {
  bool changed = false;
  for (auto& [host, remembered] : m_newest) {
    const auto newest = newest_of(listing, host);
    if (newest && newer(*newest, remembered)) {
      remembered = *newest;
      changed = true;
    }
  }
  return changed;
}

bool RollbackMemory::remember_removed(const std::vector<std::string>& removed,
                                      const SnapshotListing& remaining) {
  bool changed = false;
  for (auto it = m_newest.begin(); it != m_newest.end();) {
    if (std::find(removed.begin(), removed.end(), it->second.id) == removed.end()) {
      ++it;
      continue;
    }
    changed = true;
    if (const auto newest = newest_of(remaining, it->first)) {
      it->second = *newest;
      ++it;
    } else {
      it = m_newest.erase(it);
    }
  }
  return changed;
}

bool RollbackMemory::accept(const SnapshotListing& listing) {
  bool changed = false;
  for (auto it = m_newest.begin(); it != m_newest.end();) {
    const auto newest = newest_of(listing, it->first);
    if (!newest) {
      it = m_newest.erase(it);
      changed = true;
      continue;
    }
    if (newest->id != it->second.id) changed = true;
    it->second = *newest;
    ++it;
  }
  return changed;
}

} // namespace offsite::core
