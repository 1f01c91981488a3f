#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/repository_access.hpp"
#include "cli/terminal.hpp"
#include "cli/time_parse.hpp"
#include "core/error.hpp"

namespace offsite::cli {

struct SnapshotsOptions {
  std::vector<std::string> hosts;
  std::vector<std::string> tags;
  std::vector<std::string> paths;
  std::size_t latest = 0;
};

namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool selected(const core::Snapshot& s, const SnapshotsOptions& o) {
  if (!o.hosts.empty() && !contains(o.hosts, s.host)) return false;
  for (const auto& tag : o.tags)
    if (!contains(s.tags, tag)) return false;
  for (const auto& path : o.paths)
    if (!contains(s.paths, path)) return false;
  return true;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += printable(item);
  }
  return out;
}

} // namespace

int run_snapshots(const SnapshotsOptions& options, const GlobalOptions& global,
                  Terminal& terminal) {
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    std::vector<core::Snapshot> list;
    for (auto& s : ctx.repo.list_snapshots())
      if (selected(s, options)) list.push_back(std::move(s));
    if (options.latest > 0 && list.size() > options.latest)
      list.erase(list.begin(), list.end() - static_cast<std::ptrdiff_t>(options.latest));

    if (terminal.json()) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& s : list) {
        auto item = core::snapshot_to_json(s);
        item["id"] = s.id;
        item["short_id"] = s.id.substr(0, 8);
        items.push_back(std::move(item));
      }
      terminal.emit({{"type", "snapshots"}, {"snapshots", std::move(items)}});
      return 0;
    }
    std::string table =
        fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}\n", "ID", "Time", "Host", "Tags", "Paths");
    for (const auto& s : list)
      table += fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}{}\n", s.id.substr(0, 8),
                           format_local_time(s.time_ns), printable(s.host), join(s.tags, ","),
                           join(s.paths, " "), s.partial ? "  (partial)" : "");
    table += fmt::format("{} snapshot{}", list.size(), list.size() == 1 ? "" : "s");
    terminal.out(table);
    return 0;
  });
}

void register_snapshots(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<SnapshotsOptions>();
  auto* sub = app.add_subcommand("snapshots", "List snapshots");
  sub->add_option("--host", options->hosts, "Only snapshots of this host (repeatable)")
      ->type_name("HOST");
  sub->add_option("--tag", options->tags, "Only snapshots with this tag (repeatable)")
      ->type_name("TAG");
  sub->add_option("--path", options->paths, "Only snapshots of this path (repeatable)")
      ->type_name("PATH");
  sub->add_option("--latest", options->latest, "Only the newest N snapshots")->type_name("N");
  sub->footer("Example:\n  offsite snapshots --host laptop --latest 5");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_snapshots(*options, global, t); };
  });
}

} // namespace offsite::cli
