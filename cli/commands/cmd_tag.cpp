// tag: add, remove or set the tags of existing snapshots, as restic's tag.
// A snapshot is never edited: a new snapshot object with the new tags (and
// "original" naming the one backup saved) is written first, then the old one
// is removed under the exclusive lease, so an interruption leaves at worst
// both, never neither.
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

struct TagOptions {
  std::vector<std::string> ids; // only these (IDs, prefixes or "latest")
  core::SnapshotFilter filter;
  std::vector<std::string> add;
  std::vector<std::string> remove;
  std::vector<std::string> set;
  bool set_given = false; // --set "" clears every tag
};

namespace {

// The snapshot's tags after the change, sorted and each once.
std::vector<std::string> new_tags(const core::Snapshot& s, const TagOptions& options) {
  std::vector<std::string> tags = options.set_given ? split_tag_list(options.set) : s.tags;
  for (const auto& t : split_tag_list(options.add))
    tags.push_back(t);
  const auto removed = split_tag_list(options.remove);
  std::erase_if(tags, [&](const std::string& t) {
    return std::find(removed.begin(), removed.end(), t) != removed.end();
  });
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

} // namespace

int run_tag(const TagOptions& options, const GlobalOptions& global, Terminal& terminal) {
  if (!options.set_given && options.add.empty() && options.remove.empty())
    throw Error(Code::usage, "tag needs --add, --remove or --set",
                "for example: offsite tag --add keep latest");
  if (options.set_given && (!options.add.empty() || !options.remove.empty()))
    throw Error(Code::usage, "--set cannot be combined with --add or --remove",
                "--set replaces every tag; use it alone, or --add and --remove");
  if (options.ids.empty() && options.filter.hosts.empty() && options.filter.tags.empty() &&
      options.filter.paths.empty())
    throw Error(Code::usage, "tag needs snapshots: IDs, latest, or --host, --tag or --path",
                "name the snapshots to change; all of them would rarely be meant");
  return with_repository(global, terminal, {}, RepoLock::exclusive, [&](RepositoryContext& ctx) {
    const auto listing = list_snapshots_checked(ctx, global, terminal).listing;
    nlohmann::json changed = nlohmann::json::array();
    std::vector<std::string> removed;
    std::size_t unchanged = 0;
    for (const auto& old : chosen_snapshots(ctx.repo, options.ids, options.filter, listing)) {
      if (interrupted())
        throw Error(Code::interrupted,
                    fmt::format("interrupted after {} snapshot(s) were changed", changed.size()),
                    "run the same tag again: snapshots already changed stay as they are");
      core::Snapshot updated = old;
      updated.tags = new_tags(old, options);
      std::vector<std::string> before = old.tags; // compared as new_tags leaves them
      std::sort(before.begin(), before.end());
      before.erase(std::unique(before.begin(), before.end()), before.end());
      if (updated.tags == before) {
        ++unchanged;
        continue;
      }
      updated.original = core::original_of(old);
      const std::string id = ctx.repo.save_snapshot(updated);
      ctx.repo.store().remove("snapshots/" + old.id);
      // The time stays, so rollback detection (which compares times) sees no
      // change in what this client remembers.
      updated.id = id;
      terminal.detail(
          fmt::format("snapshot {} is now {} (tags: {})", old.id.substr(0, 8), id.substr(0, 8),
                      updated.tags.empty() ? "none" : join_printable(updated.tags, ",")));
      changed.push_back({{"old_id", old.id}, {"new_id", id}, {"tags", updated.tags}});
      removed.push_back(old.id);
    }
    // This client's memory of each host's newest snapshot follows the
    // replacement (same time, new ID).
    if (!removed.empty()) remember_forgotten(ctx, global, terminal, removed);
    if (terminal.json()) {
      terminal.emit({{"type", "tag"}, {"changed", changed}, {"unchanged", unchanged}});
    } else {
      terminal.info(fmt::format("{} snapshot{} changed, {} already had these tags", changed.size(),
                                changed.size() == 1 ? "" : "s", unchanged));
    }
    return 0;
  });
}

void register_tag(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<TagOptions>();
  auto* sub = app.add_subcommand("tag", "Add, remove or set the tags of snapshots");
  sub->add_option("id", options->ids, "These snapshots (ID, unique prefix or \"latest\")")
      ->type_name("ID");
  add_snapshot_filter(*sub, options->filter, " to change");
  sub->add_option("--add", options->add, "Add these tags (\"a,b\"; repeatable)")
      ->type_name("TAG[,TAG]");
  sub->add_option("--remove", options->remove, "Remove these tags (\"a,b\"; repeatable)")
      ->type_name("TAG[,TAG]");
  sub->add_option("--set", options->set, "Replace all tags with these (\"\" for none)")
      ->type_name("TAG[,TAG]");
  sub->footer("Examples:\n"
              "  offsite tag --add keep latest\n"
              "  offsite tag --host laptop --remove draft\n"
              "  offsite tag --set \"\" 1a2b3c4d");
  sub->callback([options, &global, sub] {
    options->set_given = sub->count("--set") > 0;
    global.run = [options, &global](Terminal& t) { return run_tag(*options, global, t); };
  });
}

} // namespace offsite::cli
