#include "core/repo/snapshot_select.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/backup/backup_paths.hpp"
#include "core/common/error.hpp"
#include "core/store/store.hpp"
#include "util/printable.hpp"

namespace offsite::core {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool has_all_tags(const Snapshot& s, std::string_view list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view tag = list.substr(start, comma - start);
    if (!tag.empty() && !contains(s.tags, tag)) return false;
    start = comma + 1;
  }
  return true;
}

// An empty --path matches nothing, as it never names a backed-up path.
std::string normalised(const std::string& path) {
  return path.empty() ? path : normalise_backup_path(path);
}

} // namespace

bool SnapshotFilter::matches(const Snapshot& s) const {
  if (!hosts.empty() && !contains(hosts, s.host)) return false;
  if (!tags.empty() && std::none_of(tags.begin(), tags.end(),
                                    [&](const std::string& t) { return has_all_tags(s, t); }))
    return false;
  for (const auto& path : paths)
    if (!contains(s.paths, normalised(path))) return false;
  return true;
}

std::string SnapshotFilter::describe() const {
  std::string out;
  for (const auto& h : hosts)
    out += " --host " + util::printable(h);
  for (const auto& t : tags)
    out += " --tag " + util::printable(t);
  for (const auto& p : paths)
    out += " --path " + util::printable(normalised(p));
  return out;
}

std::vector<Snapshot> filter_snapshots(const SnapshotListing& listing,
                                       const SnapshotFilter& filter) {
  std::vector<Snapshot> out;
  for (const auto& s : listing.snapshots)
    if (filter.matches(s)) out.push_back(s);
  return out;
}

std::vector<Snapshot> find_snapshots(Repository& repo, const SnapshotFilter& filter) {
  return filter_snapshots(list_intact_snapshots(repo), filter);
}

Snapshot resolve_snapshot(Repository& repo, std::string_view reference,
                          const SnapshotFilter& filter) {
  if (reference != "latest") return repo.load_snapshot(repo.resolve_snapshot_id(reference));
  return resolve_snapshot(repo, reference, filter, list_intact_snapshots(repo));
}

Snapshot resolve_snapshot(Repository& repo, std::string_view reference,
                          const SnapshotFilter& filter, const SnapshotListing& listing) {
  if (reference != "latest") return repo.load_snapshot(repo.resolve_snapshot_id(reference));
  auto matching = filter_snapshots(listing, filter);
  if (!matching.empty()) return std::move(matching.back());
  if (filter.empty())
    throw Error(Code::not_found, "no snapshot matches \"latest\": the repository has none",
                "run offsite backup to create one");
  throw Error(Code::not_found, fmt::format("no snapshot matches \"latest\"{}", filter.describe()),
              fmt::format("\"offsite snapshots{}\" lists what matches; check the host, tags "
                          "and paths with \"offsite snapshots\"",
                          filter.describe()));
}

SnapshotReference resolve_snapshot_or_damaged(Repository& repo, std::string_view reference,
                                              const SnapshotFilter& filter,
                                              const SnapshotListing& listing) {
  if (reference == "latest") return {resolve_snapshot(repo, reference, filter, listing), {}};
  std::string id = repo.resolve_snapshot_id(reference);
  try {
    return {repo.load_snapshot(id), {}};
  } catch (const Error& e) {
    if (e.code() != Code::integrity) throw;
    return {std::nullopt, DamagedSnapshot{std::move(id), e.what()}};
  }
}

std::string snapshot_inner_path(std::string_view typed, std::string_view what) {
  std::string path = util::from_printable(typed);
  if (path.empty() || path[0] != '/')
    throw Error(Code::usage,
                fmt::format("{} must be absolute, not \"{}\"", what,
                            util::printable(path, {.quoted = true})),
                "write it as it appears in \"offsite ls\", e.g. latest:/home/me/docs");
  return path;
}

SnapshotPathReference split_snapshot_path(std::string_view reference) {
  const auto colon = reference.find(':');
  if (colon == std::string_view::npos) return {std::string(reference), {}};
  return {std::string(reference.substr(0, colon)),
          snapshot_inner_path(reference.substr(colon + 1), "the path after ':'")};
}

} // namespace offsite::core
