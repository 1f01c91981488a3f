#include "cli/access/snapshot_access.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/config/rollback_state.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

// The memory and where it lives; a file that cannot be read is warned about
// and replaced.
struct Memory {
  std::filesystem::path path;
  core::RollbackMemory memory;
};

Memory load(RepositoryContext& context, const GlobalOptions& options, Terminal& terminal) {
  Memory m{rollback_state_path(options, context.repo.id()), {}};
  if (auto loaded = load_rollback_memory(m.path))
    m.memory = std::move(*loaded);
  else
    terminal.warning(fmt::format("cannot read {}; starting it afresh (rollback detection "
                                 "restarts from what the repository shows now)",
                                 m.path.string()));
  return m;
}

void save(const Memory& m, Terminal& terminal) {
  try {
    save_rollback_memory(m.path, m.memory);
  } catch (const std::exception& e) {
    terminal.warning(fmt::format("cannot save what this client has seen ({}): {}; rollback "
                                 "detection may miss this run",
                                 m.path.string(), e.what()));
  }
}

std::string describe_seen(const core::SeenSnapshot& seen) {
  return fmt::format("{} from {} UTC", seen.id.substr(0, 8), format_utc_time(seen.time_ns));
}

} // namespace

std::string describe_rollback(const core::RollbackFinding& finding) {
  return fmt::format(
      "possible rollback of the data centre: the newest snapshot of host {} it shows is {}, but "
      "this client saw {}; the storage may have been restored from an older copy",
      printable(finding.host, {.max_chars = 100}),
      finding.newest ? describe_seen(*finding.newest) : std::string("none"),
      describe_seen(finding.remembered));
}

CheckedListing list_snapshots_checked(RepositoryContext& context, const GlobalOptions& options,
                                      Terminal& terminal, RollbackChecks checks) {
  CheckedListing out{core::list_intact_snapshots(context.repo), {}};
  for (const auto& line : core::listing_warnings(out.listing))
    terminal.warning(line);

  Memory m = load(context, options, terminal);
  out.rollbacks = m.memory.find_rollbacks(out.listing);
  bool changed = false;
  if (!out.rollbacks.empty()) {
    if (checks.accept) {
      for (const auto& f : out.rollbacks)
        terminal.warning(describe_rollback(f) + "; accepted (--accept-rollback)");
      changed = m.memory.accept(out.listing);
    } else if (checks.refuse) {
      throw Error(Code::integrity,
                  describe_rollback(out.rollbacks.front()) + "; nothing was backed up",
                  "if that snapshot was forgotten on another machine, run the command again "
                  "with --accept-rollback (or run \"offsite snapshots --accept-rollback\") to "
                  "accept what the repository holds now; otherwise ask the data centre's "
                  "operator first");
    } else {
      for (const auto& f : out.rollbacks)
        terminal.warning(describe_rollback(f) +
                         "; if it was forgotten on another machine, \"offsite snapshots "
                         "--accept-rollback\" accepts this state");
    }
  }
  changed = m.memory.remember_newer(out.listing) || changed;
  if (changed) save(m, terminal);
  return out;
}

void remember_saved_snapshot(RepositoryContext& context, const GlobalOptions& options,
                             Terminal& terminal, const core::Snapshot& snapshot) {
  Memory m = load(context, options, terminal);
  if (m.memory.remember_saved(snapshot)) save(m, terminal);
}

void remember_forgotten(RepositoryContext& context, const GlobalOptions& options,
                        Terminal& terminal, const std::vector<std::string>& removed) {
  Memory m = load(context, options, terminal);
  bool remembered = false;
  for (const auto& [host, seen] : m.memory.newest_by_host())
    remembered = remembered || std::find(removed.begin(), removed.end(), seen.id) != removed.end();
  if (!remembered) return;
  if (m.memory.remember_removed(removed, core::list_intact_snapshots(context.repo)))
    save(m, terminal);
}

std::vector<std::string> damaged_snapshot_ids(const core::SnapshotListing& listing) {
  std::vector<std::string> ids;
  ids.reserve(listing.damaged.size());
  for (const auto& d : listing.damaged)
    ids.push_back(d.id);
  return ids;
}

core::Snapshot resolve_snapshot_checked(RepositoryContext& context, const GlobalOptions& options,
                                        Terminal& terminal, const std::string& reference,
                                        const core::SnapshotFilter& filter) {
  if (reference != "latest") return core::resolve_snapshot(context.repo, reference, filter);
  return core::resolve_snapshot(context.repo, reference, filter,
                                list_snapshots_checked(context, options, terminal).listing);
}

std::vector<core::Snapshot> chosen_snapshots(core::Repository& repo,
                                             const std::vector<std::string>& ids,
                                             const core::SnapshotFilter& filter,
                                             const core::SnapshotListing& listing) {
  if (ids.empty()) return core::filter_snapshots(listing, filter);
  std::vector<core::Snapshot> chosen;
  for (const auto& id : ids) {
    auto snapshot = core::resolve_snapshot(repo, id, filter, listing);
    if (std::none_of(chosen.begin(), chosen.end(),
                     [&](const core::Snapshot& s) { return s.id == snapshot.id; }))
      chosen.push_back(std::move(snapshot));
  }
  std::stable_sort(
      chosen.begin(), chosen.end(),
      [](const core::Snapshot& a, const core::Snapshot& b) { return a.time_ns < b.time_ns; });
  return chosen;
}

} // namespace offsite::cli
