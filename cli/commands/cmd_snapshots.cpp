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
  core::SnapshotFilter filter;
  std::optional<long long> latest; // --latest N
};

int run_snapshots(const SnapshotsOptions& options, const GlobalOptions& global,
                  Terminal& terminal) {
  // 0 or -1 must not quietly mean "all": a script computing N wrongly would
  // never notice.
  if (options.latest && *options.latest < 1)
    throw Error(Code::usage,
                fmt::format("--latest needs a count of at least 1, not {}", *options.latest),
                "leave --latest out to list every snapshot");
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    const auto listing = list_snapshots_reporting(ctx, terminal);
    auto list = core::filter_snapshots(listing, options.filter);
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
      nlohmann::json damaged = nlohmann::json::array();
      for (const auto& d : listing.damaged)
        damaged.push_back(d.id);
      terminal.emit({{"type", "snapshots"},
                     {"snapshots", std::move(items)},
                     {"damaged", std::move(damaged)}});
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
  add_snapshot_filter(*sub, options->filter);
  sub->add_option("--latest", options->latest, "Only the newest N snapshots")->type_name("N");
  sub->footer("Example:\n  offsite snapshots --host laptop --latest 5");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_snapshots(*options, global, t); };
  });
}

} // namespace offsite::cli
