#include <algorithm>
#include <initializer_list>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/progress.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/maintenance/check.hpp"

namespace offsite::cli {

struct CheckOptions {
  bool read_data = false;
  std::string read_data_subset; // "" = every pack
};

namespace {

// How many affected paths a problem lists in text (JSON lists them all, up
// to core::CheckOptions::max_affected).
constexpr std::size_t k_text_paths = 20;
constexpr std::size_t k_listed_unindexed = 5;

class CheckProgressReporter : public core::CheckReporter {
public:
  explicit CheckProgressReporter(Terminal& terminal) : m_output(terminal) {}

  void progress(const core::CheckProgress& p) override {
    const std::string_view phase = core::check_phase_name(p.phase);
    // The rate counts from the start of reading packs, not of the check.
    if (p.phase == core::CheckPhase::read_data && !m_reading) {
      m_reading = true;
      m_read_start = m_output.seconds();
    }
    m_output.draw([&] {
      if (p.phase == core::CheckPhase::read_data) {
        const double rate =
            m_reading ? byte_rate(p.bytes_done, m_output.seconds() - m_read_start) : 0;
        return fmt::format(
            "{} reading packs: {} / {}, {} / {}, {}{}", m_output.elapsed(), p.done, p.total,
            format_bytes(p.bytes_done), format_bytes(p.bytes_total), rate_text(rate),
            eta_text(p.bytes_done, p.bytes_total, rate, m_output.seconds() - m_read_start));
      }
      if (p.total == 0) return fmt::format("{} {}: {}", m_output.elapsed(), phase, p.done);
      return fmt::format("{} {}: {} / {}", m_output.elapsed(), phase, p.done, p.total);
    });
    m_output.status([&] {
      auto fields = phase_fields(phase, p);
      fields["percent_done"] = percent_of(p.bytes_done, p.bytes_total, 0.0);
      return fields;
    });
  }

  bool cancelled() override { return interrupted(); }

private:
  ProgressOutput m_output;
  double m_read_start = 0; // seconds() when reading packs began
  bool m_reading = false;
};

void report_problem(Terminal& terminal, const core::CheckProblem& p) {
  if (terminal.json()) {
    nlohmann::json affected = nlohmann::json::array();
    for (const auto& u : p.affected)
      affected.push_back({{"snapshot_id", u.snapshot_id}, {"path", u.path}});
    nlohmann::json event = {{"type", "problem"},
                            {"kind", p.kind},
                            {"message", p.message},
                            {"affected", std::move(affected)},
                            {"affected_more", p.affected_more}};
    if (!p.pack.empty()) event["pack"] = p.pack;
    terminal.emit(std::move(event));
    return;
  }
  std::string text = fmt::format("error: {}", p.message);
  const std::uint64_t total = p.affected.size() + p.affected_more;
  for (std::size_t i = 0; i < p.affected.size() && i < k_text_paths; ++i)
    text += fmt::format("\n  snapshot {}: {}", p.affected[i].snapshot_id.substr(0, 8),
                        printable(p.affected[i].path));
  if (total > k_text_paths) text += fmt::format("\n  and {} more", total - k_text_paths);
  if (total == 0 && p.kind != "snapshot_damaged") text += "\n  no snapshot uses the data it lost";
  terminal.out(text);
}

// What to do about the problems found, in the order to do it. Every step
// names a command that exists and deletes nothing a later step could still
// use: the index is rebuilt before any snapshot is given up on.
std::string advice(const core::CheckResult& result) {
  const auto any = [&](std::initializer_list<std::string_view> kinds) {
    return std::any_of(result.problems.begin(), result.problems.end(), [&](const auto& p) {
      return std::find(kinds.begin(), kinds.end(), p.kind) != kinds.end();
    });
  };
  std::vector<std::string> steps;
  if (any({"index_damaged", "pack_missing"}) ||
      (!result.unindexed_packs.empty() && any({"blob_missing", "tree_damaged"})))
    steps.emplace_back("run \"offsite repair index\" (it rebuilds the index from the packs and "
                       "drops the missing ones), then \"offsite check\" again");
  if (any({"snapshot_damaged"}))
    steps.emplace_back("\"offsite repair snapshots\" removes the snapshots that cannot be read");
  if (any({"blob_missing", "tree_damaged", "pack_missing", "pack_size", "pack_damaged"}))
    steps.emplace_back(
        "the lines above name what is lost: run \"offsite backup\" to store again what is "
        "still on disk (it uploads data whose packs are gone); then \"offsite forget ID\" "
        "removes the affected snapshots you no longer need");
  std::string text;
  for (std::size_t i = 0; i < steps.size(); ++i)
    text += (i ? "; " : "") + steps[i];
  return text;
}

} // namespace

int run_check(const CheckOptions& options, const GlobalOptions& global, Terminal& terminal) {
  terminal.stream_events();
  // As restic: the two flags cannot be combined, rather than one silently
  // overriding the other.
  if (options.read_data && !options.read_data_subset.empty())
    throw Error(Code::usage, "--read-data and --read-data-subset cannot be combined",
                "--read-data reads every pack, --read-data-subset a share of them: give one");
  core::CheckOptions check;
  check.read_data = options.read_data || !options.read_data_subset.empty();
  if (!options.read_data_subset.empty())
    check.subset = core::parse_read_data_subset(options.read_data_subset);

  return with_repository(global, terminal, {}, RepoLock::shared, [&](RepositoryContext& ctx) {
    CheckProgressReporter reporter(terminal);
    const auto result = core::check_repository(ctx.repo, check, reporter);
    terminal.clear_progress();

    if (!result.unindexed_packs.empty()) {
      std::string names;
      for (std::size_t i = 0; i < result.unindexed_packs.size() && i < k_listed_unindexed; ++i)
        names += (i ? ", " : "") + result.unindexed_packs[i].substr(0, 12);
      if (result.unindexed_packs.size() > k_listed_unindexed) names += ", ...";
      terminal.warning(fmt::format(
          "{} pack(s) are not in any index ({}): left by an interrupted backup, or their index "
          "file was lost; no command sees the data in them until \"offsite repair index\" "
          "(or the next backup) indexes them again",
          result.unindexed_packs.size(), names));
    }
    for (const auto& key : result.stray_objects)
      terminal.warning(
          fmt::format("{} is not a pack name; offsite leaves it alone", printable(key)));
    for (const auto& p : result.problems)
      report_problem(terminal, p);

    std::set<std::string> damaged_packs, affected_snapshots;
    for (const auto& p : result.problems) {
      if (!p.pack.empty()) damaged_packs.insert(p.pack);
      for (const auto& u : p.affected)
        affected_snapshots.insert(u.snapshot_id);
    }
    if (terminal.json()) {
      terminal.emit({{"type", "summary"},
                     {"command", "check"},
                     {"ok", result.ok()},
                     {"errors", result.problems.size()},
                     {"snapshots", result.snapshots},
                     {"trees", result.trees},
                     {"data_blobs", result.data_blobs},
                     {"index_files", result.index_files},
                     {"packs", result.packs},
                     {"packs_read", result.packs_read},
                     {"blobs_read", result.blobs_read},
                     {"bytes_read", result.bytes_read},
                     {"unindexed_packs", result.unindexed_packs.size()},
                     {"damaged_packs", damaged_packs},
                     {"affected_snapshots", affected_snapshots}});
      // A failure still ends with the error object (thrown below), as every
      // failing command's JSON does; the summary before it has the counts.
      if (result.ok()) return 0;
    }
    const std::string read =
        check.read_data ? fmt::format(", read {} ({})", count_of(result.packs_read, "pack"),
                                      format_bytes(result.bytes_read))
                        : "";
    if (result.ok()) {
      terminal.info(fmt::format(
          "no errors were found: {}, {}, {}, {}{}", count_of(result.snapshots, "snapshot"),
          count_of(result.trees, "tree"), count_of(result.data_blobs, "data blob"),
          count_of(result.packs, "pack"), read));
      return 0;
    }
    std::string snapshots;
    for (const auto& id : affected_snapshots)
      snapshots += (snapshots.empty() ? "" : ", ") + id.substr(0, 8);
    throw Error(
        Code::integrity,
        fmt::format("check found {} problem{}{}", result.problems.size(),
                    result.problems.size() == 1 ? "" : "s",
                    snapshots.empty() ? "" : fmt::format("; affected snapshots: {}", snapshots)),
        advice(result));
  });
}

void register_check(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<CheckOptions>();
  auto* sub =
      app.add_subcommand("check", "Verify the repository's structure, and optionally its data");
  sub->add_flag("--read-data", options->read_data,
                "Download every pack and authenticate every blob in it");
  sub->add_option("--read-data-subset", options->read_data_subset,
                  "Read only a share of the packs: N% (random) or n/m (group n of m)")
      ->type_name("SUBSET");
  sub->footer("Examples:\n"
              "  offsite check\n"
              "  offsite check --read-data-subset 10%\n"
              "  offsite check --read-data-subset 3/7   # on the 3rd day of a weekly rotation");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_check(*options, global, t); };
  });
}

} // namespace offsite::cli
