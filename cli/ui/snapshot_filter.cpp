#include "cli/ui/snapshot_filter.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool has_all_tags(const core::Snapshot& s, std::string_view list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view tag = list.substr(start, comma - start);
    if (!tag.empty() && !contains(s.tags, tag)) return false;
    start = comma + 1;
  }
  return true;
}

// As backup records them: absolute, normalised, no trailing slash.
std::string normalised(const std::string& path) {
  if (path.empty()) return path;
  std::string s = std::filesystem::absolute(path).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

} // namespace

bool SnapshotFilter::matches(const core::Snapshot& s) const {
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
    out += " --host " + printable(h);
  for (const auto& t : tags)
    out += " --tag " + printable(t);
  for (const auto& p : paths)
    out += " --path " + printable(normalised(p));
  return out;
}

void add_snapshot_filter(CLI::App& sub, SnapshotFilter& filter, std::string_view purpose) {
  const std::string tail(purpose);
  // One value per flag (allow_extra_args(false)): otherwise CLI11 lets a
  // vector option swallow the positionals after it, and "ls latest --host web1
  // /etc" would look for a host called /etc.
  sub.add_option("--host", filter.hosts, "Only snapshots of this host (repeatable)" + tail)
      ->type_name("HOST")
      ->allow_extra_args(false);
  sub.add_option("--tag", filter.tags,
                 "Only snapshots with these tags (\"a,b\" = both; repeatable = any)" + tail)
      ->type_name("TAG[,TAG]")
      ->allow_extra_args(false);
  sub.add_option("--path", filter.paths,
                 "Only snapshots that include this path (repeatable = all)" + tail)
      ->type_name("PATH")
      ->allow_extra_args(false);
}

std::vector<core::Snapshot> find_snapshots(core::Repository& repo, const SnapshotFilter& filter) {
  std::vector<core::Snapshot> out;
  for (auto& s : repo.list_snapshots())
    if (filter.matches(s)) out.push_back(std::move(s));
  return out;
}

core::Snapshot find_snapshot(core::Repository& repo, std::string_view reference,
                             const SnapshotFilter& filter) {
  if (reference != "latest") return repo.load_snapshot(repo.resolve_snapshot(reference));
  if (filter.empty()) return repo.load_snapshot(repo.resolve_snapshot(reference));
  auto matching = find_snapshots(repo, filter);
  if (matching.empty())
    throw Error(Code::not_found, fmt::format("no snapshot matches \"latest\"{}", filter.describe()),
                fmt::format("\"offsite snapshots{}\" lists what matches; check the host, tags "
                            "and paths with \"offsite snapshots\"",
                            filter.describe()));
  return std::move(matching.back());
}

} // namespace offsite::cli
