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

namespace offsite::cli {

struct SnapshotsOptions {
  std::vector<std::string> ids; // only these (IDs, prefixes or "latest")
  core::SnapshotFilter filter;
  std::optional<long long> latest; // --latest N
  bool accept_rollback = false;
};

namespace {

// The snapshots the IDs name, each once, oldest first like the full list.
// An unknown ID is Error(not_found), an ambiguous prefix Error(usage): a
// script asking about one snapshot must not get an empty list instead.
std::vector<core::Snapshot> chosen_snapshots(core::Repository& repo,
                                             const SnapshotsOptions& options,
                                             const core::SnapshotListing& listing) {
  std::vector<core::Snapshot> chosen;
  for (const auto& id : options.ids) {
    auto snapshot = core::resolve_snapshot(repo, id, options.filter, listing);
    const bool seen = std::any_of(chosen.begin(), chosen.end(),
                                  [&](const core::Snapshot& s) { return s.id == snapshot.id; });
    if (!seen) chosen.push_back(std::move(snapshot));
  }
  std::stable_sort(
      chosen.begin(), chosen.end(),
      [](const core::Snapshot& a, const core::Snapshot& b) { return a.time_ns < b.time_ns; });
  return chosen;
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
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    const auto checked =
        list_snapshots_checked(ctx, global, terminal, {.accept = options.accept_rollback});
    const auto& listing = checked.listing;
    auto list = options.ids.empty() ? core::filter_snapshots(listing, options.filter)
                                    : chosen_snapshots(ctx.repo, options, listing);
    if (options.latest && list.size() > static_cast<std::size_t>(*options.latest))
      list.erase(list.begin(), list.end() - static_cast<std::ptrdiff_t>(*options.latest));

    if (terminal.json()) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& s : list) {
        auto item = core::snapshot_to_json(s);
        item["id"] = s.id;
        item["short_id"] = s.id.substr(0, 8);
        items.push_back(std::move(item));
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
      terminal.emit({{"type", "snapshots"},
                     {"snapshots", std::move(items)},
                     {"damaged", std::move(damaged)},
                     {"rollback", std::move(rollback)}});
      return 0;
    }
    std::string table =
        fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}\n", "ID", "Time", "Host", "Tags", "Paths");
    for (const auto& s : list)
      table +=
          fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}{}\n", s.id.substr(0, 8),
                      format_local_time(s.time_ns), printable(s.host), join_printable(s.tags, ","),
                      join_printable(s.paths, " "), s.partial ? "  (partial)" : "");
    table += fmt::format("{} snapshot{}", list.size(), list.size() == 1 ? "" : "s");
    terminal.out(table);
    return 0;
  });
}

void register_snapshots(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<SnapshotsOptions>();
  auto* sub = app.add_subcommand("snapshots", "List snapshots");
  sub->add_option("id", options->ids, "Only these snapshots (ID, unique prefix or \"latest\")")
      ->type_name("ID");
  add_snapshot_filter(*sub, options->filter);
  sub->add_option("--latest", options->latest, "Only the newest N snapshots")->type_name("N");
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
