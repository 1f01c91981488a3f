// forget: removes snapshot objects, by ID or by a retention policy applied
// per group (core/maintenance/retention.hpp). Only the snapshot documents go; the data
// they referenced stays until prune finds it unreferenced, so a forget is
// cheap and a mistaken one loses no data before the next prune.
// A damaged snapshot object (no readable host or time) is never chosen by a
// policy: it is named and left alone, and goes only when named by its ID.
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/commands/prune_run.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/common/error.hpp"
#include "core/maintenance/retention.hpp"

namespace offsite::cli {

struct ForgetOptions {
  std::vector<std::string> snapshots;
  core::RetentionPolicy policy;
  std::string keep_within;
  std::string group_by = "host,paths";
  core::SnapshotFilter filter;
  bool dry_run = false;
  bool prune = false;
  std::vector<std::string> zero_counts; // "--keep-last 0", ... as given
};

namespace {

struct ForgetGroup {
  std::optional<std::string> host; // nullopt: not grouped by it
  std::optional<std::vector<std::string>> paths;
  std::optional<std::vector<std::string>> tags;
  core::RetentionResult result;
  std::vector<core::DamagedSnapshot> damaged; // named by ID: removed too
};

nlohmann::json snapshot_json(const core::RetentionDecision& d, bool with_reasons) {
  nlohmann::json item = {{"id", d.snapshot.id},
                         {"short_id", d.snapshot.id.substr(0, 8)},
                         {"time", format_utc_time(d.snapshot.time_ns)},
                         {"host", d.snapshot.host},
                         {"paths", d.snapshot.paths},
                         {"tags", d.snapshot.tags}};
  if (with_reasons) item["reasons"] = d.reasons;
  return item;
}

nlohmann::json group_json(const ForgetGroup& g) {
  nlohmann::json keep = nlohmann::json::array();
  nlohmann::json remove = nlohmann::json::array();
  for (const auto& d : g.result.keep)
    keep.push_back(snapshot_json(d, true));
  for (const auto& d : g.result.remove)
    remove.push_back(snapshot_json(d, false));
  return {{"host", g.host ? nlohmann::json(*g.host) : nlohmann::json()},
          {"paths", g.paths ? nlohmann::json(*g.paths) : nlohmann::json()},
          {"tags", g.tags ? nlohmann::json(*g.tags) : nlohmann::json()},
          {"keep", std::move(keep)},
          {"remove", std::move(remove)}};
}

std::string table(const std::vector<core::RetentionDecision>& list, bool with_reasons) {
  std::string out = fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}\n", "ID", "Time", "Host", "Tags",
                                with_reasons ? "Reasons" : "Paths");
  for (const auto& d : list) {
    const auto& s = d.snapshot;
    out +=
        fmt::format("{:<8}  {:<19}  {:<16}  {:<12}  {}\n", s.id.substr(0, 8),
                    format_local_time(s.time_ns), printable(s.host), join_printable(s.tags, ","),
                    with_reasons ? join_printable(d.reasons, ", ") : join_printable(s.paths, " "));
  }
  return out;
}

std::string group_text(const ForgetGroup& g, bool dry_run) {
  std::vector<std::string> key;
  if (g.host) key.push_back("host " + printable(*g.host));
  if (g.paths) key.push_back("paths " + join_printable(*g.paths, " "));
  if (g.tags) key.push_back("tags " + (g.tags->empty() ? "(none)" : join_printable(*g.tags, ",")));
  std::string out;
  if (!key.empty()) out += "snapshots of " + join_printable(key, ", ") + ":\n";
  for (const auto& d : g.damaged)
    out += fmt::format("{} damaged snapshot {}\n", dry_run ? "would remove" : "remove", d.id);
  const auto count = [](std::size_t n) {
    return fmt::format("{} snapshot{}", n, n == 1 ? "" : "s");
  };
  if (!g.result.keep.empty())
    out += fmt::format("keep {}:\n", count(g.result.keep.size())) + table(g.result.keep, true);
  if (!g.result.remove.empty())
    out += fmt::format("{} {}:\n", dry_run ? "would remove" : "remove",
                       count(g.result.remove.size())) +
           table(g.result.remove, false);
  return out;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<ForgetGroup> plan_by_policy(const core::SnapshotListing& listing,
                                        const ForgetOptions& options, const core::GroupBy& by) {
  std::vector<ForgetGroup> out;
  const std::int64_t now = now_ns();
  for (auto& group : core::group_snapshots(core::filter_snapshots(listing, options.filter), by)) {
    ForgetGroup g;
    if (by.host) g.host = group.host;
    if (by.paths) g.paths = group.paths;
    if (by.tags) g.tags = group.tags;
    g.result = core::apply_retention(group.snapshots, options.policy, now);
    out.push_back(std::move(g));
  }
  return out;
}

ForgetGroup plan_by_id(core::Repository& repo, const ForgetOptions& options,
                       const core::SnapshotListing& listing) {
  ForgetGroup g;
  std::set<std::string> seen;
  for (const auto& reference : options.snapshots) {
    auto found = core::resolve_snapshot_or_damaged(repo, reference, options.filter, listing);
    if (found.damaged) {
      if (seen.insert(found.damaged->id).second) g.damaged.push_back(std::move(*found.damaged));
      continue;
    }
    if (!seen.insert(found.snapshot->id).second) continue;
    g.result.remove.push_back({std::move(*found.snapshot), {}});
  }
  return g;
}

// Removes the planned snapshot objects; returns how many were there.
std::vector<std::string> ids_to_remove(const ForgetGroup& g) {
  std::vector<std::string> ids;
  for (const auto& d : g.damaged)
    ids.push_back(d.id);
  for (const auto& d : g.result.remove)
    ids.push_back(d.snapshot.id);
  return ids;
}

std::size_t remove_snapshots(core::Repository& repo, const std::vector<ForgetGroup>& groups,
                             Terminal& terminal) {
  std::size_t total = 0;
  for (const auto& g : groups)
    total += g.result.remove.size() + g.damaged.size();
  std::size_t removed = 0;
  for (const auto& g : groups) {
    for (const auto& id : ids_to_remove(g)) {
      try {
        if (interrupted())
          throw Error(Code::interrupted, "interrupted",
                      "run the same forget again to remove the rest");
        if (repo.store().remove("snapshots/" + id))
          terminal.detail(fmt::format("removed snapshot {}", id.substr(0, 8)));
        else // another client removed it first: the outcome is the same
          terminal.detail(fmt::format("snapshot {} was already gone", id.substr(0, 8)));
        ++removed;
      } catch (const Error& e) {
        if (removed == 0) throw;
        throw Error(
            e.code(),
            fmt::format("{} ({} of {} snapshots were removed before)", e.what(), removed, total),
            e.hint());
      }
    }
  }
  return removed;
}

} // namespace

int run_forget(const ForgetOptions& given, const GlobalOptions& global, Terminal& terminal) {
  ForgetOptions options = given;
  if (!options.keep_within.empty())
    options.policy.within = core::parse_calendar_duration(options.keep_within, "--keep-within");
  const core::GroupBy by = core::parse_group_by(options.group_by);
  // Decided before the repository is opened: a mistake costs no passphrase.
  if (!options.snapshots.empty() && !options.policy.empty())
    throw Error(Code::usage, "forget takes snapshot IDs or a policy, not both",
                "run one forget with the IDs and another with the --keep-* options");
  if (options.snapshots.empty() && options.policy.empty() && !options.zero_counts.empty())
    throw Error(Code::usage,
                fmt::format("{} keeps no snapshot, and no other rule keeps any: forget would "
                            "remove every snapshot",
                            fmt::join(options.zero_counts, " and ")),
                "give a count of at least 1 (-1 keeps all), add another --keep-* rule, or name "
                "the snapshots to forget by ID");
  if (options.snapshots.empty() && options.policy.empty())
    throw Error(Code::usage, "forget needs a policy or snapshot IDs, and got neither",
                "give --keep-last, --keep-daily, ... (see offsite forget --help); to forget "
                "every snapshot, name them by ID");
  if (options.snapshots.empty()) core::apply_retention({}, options.policy, 0); // validates counts

  // A dry run deletes nothing: a shared lock lets it run beside backups, and
  // on an append-only account, which refuses a real run before it starts.
  const RepoLock lock = options.dry_run ? RepoLock::shared : RepoLock::deleting;
  return with_repository(global, terminal, {}, lock, [&](RepositoryContext& ctx) {
    // Listed only when something is chosen from the list; by ID, a damaged
    // snapshot is what the user wants gone, not something to warn about.
    const bool by_policy = options.snapshots.empty();
    const bool needs_listing =
        by_policy || std::find(options.snapshots.begin(), options.snapshots.end(), "latest") !=
                         options.snapshots.end();
    const core::SnapshotListing listing =
        needs_listing ? list_snapshots_checked(ctx, global, terminal).listing
                      : core::SnapshotListing{};
    std::vector<ForgetGroup> groups;
    if (by_policy)
      groups = plan_by_policy(listing, options, by);
    else
      groups.push_back(plan_by_id(ctx.repo, options, listing));

    if (!terminal.json()) {
      std::string text;
      for (const auto& g : groups)
        text += (text.empty() ? "" : "\n") + group_text(g, options.dry_run);
      if (!text.empty()) terminal.out(text);
    }
    std::size_t removed = 0;
    std::size_t planned = 0;
    for (const auto& g : groups)
      planned += g.result.remove.size() + g.damaged.size();
    if (!options.dry_run) {
      removed = remove_snapshots(ctx.repo, groups, terminal);
      // This client's own forget is no rollback: what it removed is
      // forgotten here too.
      std::vector<std::string> ids;
      for (const auto& g : groups)
        for (auto& id : ids_to_remove(g))
          ids.push_back(std::move(id));
      remember_forgotten(ctx, global, terminal, ids);
    }
    if (options.prune && !options.dry_run) terminal.stream_events();

    if (terminal.json()) {
      nlohmann::json list = nlohmann::json::array();
      nlohmann::json damaged = nlohmann::json::array();
      for (const auto& g : groups) {
        list.push_back(group_json(g));
        for (const auto& d : g.damaged)
          damaged.push_back(d.id);
      }
      // A policy leaves damaged snapshots alone; they are named for "forget ID".
      nlohmann::json damaged_kept = nlohmann::json::array();
      if (by_policy)
        for (const auto& d : listing.damaged)
          damaged_kept.push_back(d.id);
      terminal.emit({{"type", "forget"},
                     {"groups", std::move(list)},
                     {"damaged", std::move(damaged)},
                     {"damaged_kept", std::move(damaged_kept)},
                     {"removed", removed},
                     {"dry_run", options.dry_run}});
    } else if (options.dry_run) {
      terminal.info(fmt::format("dry run: would remove {} snapshot{}, removed nothing", planned,
                                planned == 1 ? "" : "s"));
    } else {
      terminal.info(fmt::format("removed {} snapshot{}", removed, removed == 1 ? "" : "s"));
    }
    // Same session, same exclusive lease: nothing can start using the data
    // between the forget and the prune.
    if (options.prune && !options.dry_run) return run_prune(ctx, terminal, PruneOptions{});
    if (options.prune) terminal.info("dry run: prune not run");
    return 0;
  });
}

void register_forget(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<ForgetOptions>();
  auto* sub = app.add_subcommand("forget", "Remove snapshots by ID or by a retention policy");
  sub->add_option("snapshot", options->snapshots,
                  "Snapshots to remove: ID, unique prefix or \"latest\" (with the filters)")
      ->type_name("SNAPSHOT");
  auto& p = options->policy;
  sub->add_option("--keep-last", p.last, "Keep the N newest snapshots")->type_name("N");
  sub->add_option("--keep-hourly", p.hourly, "Keep the newest snapshot of each of N hours")
      ->type_name("N");
  sub->add_option("--keep-daily", p.daily, "Keep the newest snapshot of each of N days")
      ->type_name("N");
  sub->add_option("--keep-weekly", p.weekly, "Keep the newest snapshot of each of N ISO weeks")
      ->type_name("N");
  sub->add_option("--keep-monthly", p.monthly, "Keep the newest snapshot of each of N months")
      ->type_name("N");
  sub->add_option("--keep-yearly", p.yearly, "Keep the newest snapshot of each of N years")
      ->type_name("N");
  sub->add_option("--keep-within", options->keep_within,
                  "Keep snapshots less than DURATION (1y6m, 30d, 12h) older than the newest")
      ->type_name("DURATION");
  sub->add_option("--keep-tag", p.keep_tags,
                  "Keep snapshots with these tags (\"a,b\" = both; repeatable)")
      ->type_name("TAG[,TAG]")
      ->allow_extra_args(false); // one per flag, see add_snapshot_filter
  sub->add_option("--group-by", options->group_by,
                  "Apply the policy per group of host,paths (default), tags, or '' for one group")
      ->type_name("FIELDS");
  add_snapshot_filter(*sub, options->filter, ", for the policy or \"latest\"");
  sub->add_flag("-n,--dry-run", options->dry_run, "Show what would be kept and removed, and why");
  sub->add_flag("--prune", options->prune,
                "Then remove the data no snapshot references any more (as offsite prune)");
  sub->footer("Counts are numbers of hours, days, ... that have a snapshot; -1 keeps all.\n"
              "Days and weeks are cut in local time (TZ).\n\n"
              "Examples:\n"
              "  offsite forget --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run\n"
              "  offsite forget --host web1 --keep-last 3 --keep-within 30d\n"
              "  offsite forget 1a2b3c4d 5e6f7a8b");
  sub->callback([options, &global, sub] {
    for (const char* name : {"--keep-last", "--keep-hourly", "--keep-daily", "--keep-weekly",
                             "--keep-monthly", "--keep-yearly"})
      if (const auto* option = sub->get_option(name); option->count() > 0 && option->as<int>() == 0)
        options->zero_counts.push_back(std::string(name) + " 0");
    global.run = [options, &global](Terminal& t) { return run_forget(*options, global, t); };
  });
}

} // namespace offsite::cli
