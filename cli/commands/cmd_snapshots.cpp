#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/common/error.hpp"
#include "core/maintenance/retention.hpp"

namespace offsite::cli {

struct SnapshotsOptions {
  std::vector<std::string> ids; // only these (IDs, prefixes or "latest")
  core::SnapshotFilter filter;
  std::optional<long long> latest; // --latest N (per group with --group-by)
  bool accept_rollback = false;
  bool compact = false;                // no Paths column
  std::optional<std::string> group_by; // --group-by host,paths,tags
};

namespace {

struct ShownGroup {
  std::optional<std::string> host; // nullopt: not grouped by it
  std::optional<std::vector<std::string>> paths;
  std::optional<std::vector<std::string>> tags;
  std::vector<core::Snapshot> snapshots; // oldest first
};

// One group of everything, or the groups of --group-by; each cut to its
// newest `latest`, as restic's --latest is per group.
std::vector<ShownGroup> shown_groups(std::vector<core::Snapshot> list,
                                     const SnapshotsOptions& options) {
  std::vector<ShownGroup> groups;
  if (!options.group_by) {
    groups.push_back({std::nullopt, std::nullopt, std::nullopt, std::move(list)});
  } else {
    const core::GroupBy by = core::parse_group_by(*options.group_by);
    for (auto& group : core::group_snapshots(std::move(list), by)) {
      ShownGroup shown;
      if (by.host) shown.host = group.host;
      if (by.paths) shown.paths = group.paths;
      if (by.tags) shown.tags = group.tags;
      shown.snapshots.assign(group.snapshots.rbegin(), group.snapshots.rend());
      groups.push_back(std::move(shown));
    }
  }
  for (auto& g : groups)
    if (options.latest && g.snapshots.size() > static_cast<std::size_t>(*options.latest))
      g.snapshots.erase(g.snapshots.begin(),
                        g.snapshots.end() - static_cast<std::ptrdiff_t>(*options.latest));
  return groups;
}

std::string group_heading(const ShownGroup& g) {
  std::vector<std::string> key;
  if (g.host) key.push_back("host " + printable(*g.host));
  if (g.paths) key.push_back("paths " + join_printable(*g.paths, " "));
  if (g.tags) key.push_back("tags " + (g.tags->empty() ? "(none)" : join_printable(*g.tags, ",")));
  return key.empty() ? "" : "snapshots of " + join_printable(key, ", ") + ":\n";
}

std::string snapshot_table(const std::vector<core::Snapshot>& list, bool compact) {
  std::string table = compact
                          ? fmt::format("{:<8}  {:<19}  {:<16}  {}\n", "ID", "Time", "Host", "Tags")
                          : fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}\n", "ID", "Time", "Host",
                                        "Tags", "Paths");
  for (const auto& s : list) {
    const std::string partial = s.partial ? "  (partial)" : "";
    table += compact
                 ? fmt::format("{:<8}  {:<19}  {:<16}  {}{}\n", s.id.substr(0, 8),
                               format_local_time(s.time_ns), printable(s.host),
                               join_printable(s.tags, ","), partial)
                 : fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}{}\n", s.id.substr(0, 8),
                               format_local_time(s.time_ns), printable(s.host),
                               join_printable(s.tags, ","), join_printable(s.paths, " "), partial);
  }
  return table;
}

} // namespace

int run_snapshots(const SnapshotsOptions& options, const GlobalOptions& global,
                  Terminal& terminal) {
  // 0 or -1 must not quietly mean "all": a script computing N wrongly would
  // never notice.
  if (options.latest && *options.latest < 1)
    throw Error(Code::usage,
                fmt::format("--latest needs a count of at least 1, not {}", *options.latest),
                "leave --latest out to list every snapshot");
  if (options.group_by) (void)core::parse_group_by(*options.group_by); // before any passphrase
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    const auto checked =
        list_snapshots_checked(ctx, global, terminal, {.accept = options.accept_rollback});
    const auto& listing = checked.listing;
    const auto groups =
        shown_groups(chosen_snapshots(ctx.repo, options.ids, options.filter, listing), options);
    std::size_t count = 0;
    for (const auto& g : groups)
      count += g.snapshots.size();

    if (terminal.json()) {
      nlohmann::json items = nlohmann::json::array();
      nlohmann::json group_items = nlohmann::json::array();
      for (const auto& g : groups) {
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& s : g.snapshots) {
          auto item = core::snapshot_to_json(s);
          item["id"] = s.id;
          item["short_id"] = s.id.substr(0, 8);
          items.push_back(std::move(item));
          ids.push_back(s.id);
        }
        group_items.push_back({{"host", g.host ? nlohmann::json(*g.host) : nlohmann::json()},
                               {"paths", g.paths ? nlohmann::json(*g.paths) : nlohmann::json()},
                               {"tags", g.tags ? nlohmann::json(*g.tags) : nlohmann::json()},
                               {"snapshots", std::move(ids)}});
      }
      // Damaged snapshots have no readable host or time, so filters cannot
      // choose among them: every one is named, for "forget ID".
      nlohmann::json damaged = damaged_snapshot_ids(listing);
      nlohmann::json rollback = nlohmann::json::array();
      for (const auto& r : checked.rollbacks)
        rollback.push_back(
            {{"host", r.host},
             {"seen_id", r.remembered.id},
             {"seen_time", format_utc_time(r.remembered.time_ns)},
             {"newest_id", r.newest ? nlohmann::json(r.newest->id) : nlohmann::json()},
             {"newest_time",
              r.newest ? nlohmann::json(format_utc_time(r.newest->time_ns)) : nlohmann::json()},
             {"accepted", options.accept_rollback},
             {"message", describe_rollback(r)}});
      nlohmann::json doc = {{"type", "snapshots"},
                            {"snapshots", std::move(items)},
                            {"damaged", std::move(damaged)},
                            {"rollback", std::move(rollback)}};
      if (options.group_by) doc["groups"] = std::move(group_items);
      terminal.emit(std::move(doc));
      return 0;
    }
    std::string text;
    for (const auto& g : groups)
      text += (text.empty() ? "" : "\n") + group_heading(g) +
              snapshot_table(g.snapshots, options.compact);
    text += fmt::format("{} snapshot{}", count, count == 1 ? "" : "s");
    terminal.out(text);
    return 0;
  });
}

void register_snapshots(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<SnapshotsOptions>();
  auto* sub = app.add_subcommand("snapshots", "List snapshots");
  sub->add_option("id", options->ids, "Only these snapshots (ID, unique prefix or \"latest\")")
      ->type_name("ID");
  add_snapshot_filter(*sub, options->filter);
  sub->add_option("--latest", options->latest, "Only the newest N snapshots (of each group)")
      ->type_name("N");
  sub->add_option("--group-by", options->group_by,
                  "Show groups of host, paths and/or tags (comma-separated)")
      ->type_name("GROUPS");
  sub->add_flag("-c,--compact", options->compact, "Leave out the Paths column");
  sub->add_flag("--accept-rollback", options->accept_rollback,
                "Accept that the repository's newest snapshot of a host is older than this "
                "client saw (it was forgotten elsewhere)");
  sub->footer("Examples:\n  offsite snapshots --host laptop --latest 5\n  offsite snapshots "
              "1a2b3c4d latest");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_snapshots(*options, global, t); };
  });
}

} // namespace offsite::cli
