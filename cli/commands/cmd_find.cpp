// find: which snapshots hold entries matching a pattern. The search and its
// memo over shared trees are core's (core/maintenance/find.hpp); this file
// chooses the snapshots and prints, grouped by snapshot like restic's find.
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/common/error.hpp"
#include "core/maintenance/find.hpp"

namespace offsite::cli {

struct FindOptions {
  std::vector<std::string> patterns;
  std::vector<std::string> snapshots; // --snapshot ID (repeatable); empty = all matching filter
  core::SnapshotFilter filter;
  std::string newest; // --newest TIME
  std::string oldest; // --oldest TIME
  bool long_format = false;
};

namespace {

std::string type_letter_mode(const core::FindMatch& m) {
  static constexpr char k_types[] = {'-', 'd', 'l', 'p', 'c', 'b', 's'};
  std::string out(1, k_types[static_cast<int>(m.type)]);
  static constexpr const char* k_rwx = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit)
    out.push_back(m.mode & (0400u >> bit) ? k_rwx[bit] : '-');
  return out;
}

nlohmann::json match_json(const core::FindMatch& m) {
  nlohmann::json item = {{"path", m.path},
                         {"type", core::node_type_name(m.type)},
                         {"mode", m.mode},
                         {"user", m.user},
                         {"group", m.group},
                         {"size", m.size},
                         {"mtime", format_utc_time(m.mtime_ns)}};
  if (m.type == core::NodeType::symlink) item["link_target"] = m.link_target;
  return item;
}

std::string match_line(const core::FindMatch& m, bool long_format) {
  std::string line = long_format ? fmt::format("{} {:<8} {:<8} ", type_letter_mode(m),
                                               printable(m.user), printable(m.group))
                                 : std::string();
  line += fmt::format("{:>12}  {}  {}", m.size, format_local_time(m.mtime_ns), printable(m.path));
  if (long_format && m.type == core::NodeType::symlink) line += " -> " + printable(m.link_target);
  return line;
}

} // namespace

int run_find(const FindOptions& options, const GlobalOptions& global, Terminal& terminal) {
  core::FindQuery query;
  query.patterns = options.patterns;
  if (!options.newest.empty()) query.newest_ns = parse_time(options.newest, "--newest");
  if (!options.oldest.empty()) query.oldest_ns = parse_time(options.oldest, "--oldest");
  if (query.newest_ns && query.oldest_ns && *query.oldest_ns > *query.newest_ns)
    throw Error(Code::usage, "--oldest is after --newest, so nothing can match",
                "swap the two times");

  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    core::Finder finder(ctx.repo, query);
    std::vector<core::Snapshot> snapshots;
    if (options.snapshots.empty()) {
      const auto checked = list_snapshots_checked(ctx, global, terminal);
      snapshots = core::filter_snapshots(checked.listing, options.filter);
    } else {
      for (const auto& reference : options.snapshots)
        snapshots.push_back(
            resolve_snapshot_checked(ctx, global, terminal, reference, options.filter));
    }

    nlohmann::json groups = nlohmann::json::array();
    std::string text;
    std::uint64_t total = 0;
    std::size_t holding = 0; // snapshots with at least one match
    for (const auto& snapshot : snapshots) {
      const auto matches = finder.find(snapshot);
      if (matches.empty()) continue;
      total += matches.size();
      ++holding;
      if (terminal.json()) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& m : matches)
          items.push_back(match_json(m));
        groups.push_back({{"id", snapshot.id},
                          {"short_id", snapshot.id.substr(0, 8)},
                          {"time", format_utc_time(snapshot.time_ns)},
                          {"host", snapshot.host},
                          {"paths", snapshot.paths},
                          {"matches", std::move(items)}});
        continue;
      }
      text += fmt::format("Found matching entries in snapshot {} from {} ({})\n",
                          snapshot.id.substr(0, 8), format_local_time(snapshot.time_ns),
                          printable(snapshot.host));
      for (const auto& m : matches)
        text += match_line(m, options.long_format) + "\n";
      text += "\n";
    }
    if (terminal.json()) {
      terminal.emit({{"type", "find"},
                     {"patterns", options.patterns},
                     {"snapshots_searched", snapshots.size()},
                     {"matches_total", total},
                     {"trees_loaded", finder.trees_loaded()},
                     {"snapshots", std::move(groups)}});
      return 0;
    }
    text += fmt::format("{} {} in {} of {} snapshot{}", total, total == 1 ? "match" : "matches",
                        holding, snapshots.size(), snapshots.size() == 1 ? "" : "s");
    terminal.out(text);
    return 0;
  });
}

void register_find(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<FindOptions>();
  auto* sub = app.add_subcommand("find", "Find which snapshots hold files matching a pattern");
  sub->add_option("pattern", options->patterns,
                  "Glob on the name, or on the path when it holds '/'")
      ->required()
      ->type_name("PATTERN");
  sub->add_option("-s,--snapshot", options->snapshots,
                  "Search only this snapshot (ID, prefix or \"latest\"; repeatable)")
      ->type_name("ID");
  add_snapshot_filter(*sub, options->filter, ", to search");
  sub->add_option("-N,--newest", options->newest, "Only entries modified at or before TIME")
      ->type_name("TIME");
  sub->add_option("-O,--oldest", options->oldest, "Only entries modified at or after TIME")
      ->type_name("TIME");
  sub->add_flag("-l,--long", options->long_format, "Show type, mode, owner and group too");
  sub->footer("Examples:\n"
              "  offsite find '*.pdf'\n"
              "  offsite find --host laptop '/home/*/notes.txt'\n"
              "  offsite find --newest 2026-01-31 --long 'report-*.odt'");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_find(*options, global, t); };
  });
}

} // namespace offsite::cli
