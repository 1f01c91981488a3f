// unlock: list the repository's locks and remove the stale ones — expired
// ones, and ones of this host whose process is gone (restic does the same) —
// or, with --force, every one.
#include <memory>

#include <signal.h>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/common/host.hpp"

namespace offsite::cli {

struct UnlockOptions {
  bool force = false;
};

namespace {

enum class LeaseState { live, expired, process_gone };

std::string_view state_name(LeaseState state) {
  switch (state) {
  case LeaseState::live: return "live";
  case LeaseState::expired: return "expired";
  case LeaseState::process_gone: return "process_gone";
  }
  return "live";
}

// A lease counts as expired only past its grace (core/repo/lease.hpp, rule
// b): a refresh that completed in time on another front-end is then in the
// listing, never removed. `now_ms` is the store keeper's clock as of the
// listing (a remote server reads it before it lists).
LeaseState state_of(const core::Lease& lease, std::int64_t now_ms) {
  if (core::is_past_grace(lease, now_ms)) return LeaseState::expired;
  if (lease.owner.host == core::local_host_name() && lease.owner.pid > 0 &&
      kill(static_cast<pid_t>(lease.owner.pid), 0) != 0 && errno == ESRCH)
    return LeaseState::process_gone;
  return LeaseState::live;
}

} // namespace

int run_unlock(const UnlockOptions& options, const GlobalOptions& global, Terminal& terminal) {
  std::string location;
  auto store = open_store(global, terminal, location);
  auto leases = open_leases(*store);
  const auto all = leases->list();
  const std::int64_t now = leases->now_ms(); // RemoteLeases learns the server's clock from list

  auto items = nlohmann::json::array();
  std::size_t removed = 0;
  std::size_t kept = 0;
  std::string text;
  for (const auto& lease : all) {
    const LeaseState state = state_of(lease, now);
    const bool remove = options.force || state != LeaseState::live;
    const bool done = remove && leases->remove(lease.id);
    removed += done ? 1 : 0;
    kept += remove ? 0 : 1;
    auto item = core::lease_to_json(lease);
    item["state"] = state_name(state);
    item["removed"] = done;
    items.push_back(std::move(item));
    text += fmt::format("{} {}{}\n", done ? "removed" : "kept   ",
                        printable(core::describe_lease(lease, now)),
                        state == LeaseState::process_gone ? " (that process is gone)" : "");
  }
  if (terminal.json()) {
    terminal.emit({{"type", "unlock"},
                   {"location", location},
                   {"leases", std::move(items)},
                   {"removed", removed},
                   {"kept", kept}});
    return 0;
  }
  if (all.empty()) text = fmt::format("the repository at {} holds no locks\n", location);
  if (kept > 0)
    text += fmt::format("{} live lock{} kept: its command is still running, or runs on another "
                        "machine; if you are sure it is not, use \"offsite unlock --force\"\n",
                        kept, kept == 1 ? "" : "s");
  terminal.out(text.substr(0, text.size() - 1));
  return 0;
}

void register_unlock(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<UnlockOptions>();
  auto* sub = app.add_subcommand("unlock", "Remove stale locks (of crashed or killed commands)");
  sub->add_flag("--force", options->force,
                "Remove every lock, live ones too (only when you know their commands are gone)");
  sub->footer("Examples:\n  offsite unlock\n  offsite unlock --force");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_unlock(*options, global, t); };
  });
}

} // namespace offsite::cli
