// unregister: cancel the account. The data centre deletes every object of it
// (the repository, its locks, the account record), then this machine forgets
// the account (config.json and credentials.json go). Irreversible, so it asks
// for the account ID to be typed, or takes --yes from a script.
#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/access/account_access.hpp"
#include "cli/access/repository_access.hpp"
#include "cli/commands.hpp"
#include "cli/remote/lease_keeper.hpp"
#include "cli/remote/remote_leases.hpp"
#include "cli/remote/wire_reply.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

struct UnregisterOptions {
  bool yes = false;
};

namespace {

// The answer typed at the terminal, or nullopt when there is none to ask on.
std::optional<std::string> ask(const std::string& question) {
  if (!isatty(STDIN_FILENO)) return std::nullopt;
  const int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string line;
  if (write(fd, question.data(), question.size()) >= 0) {
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n')
      line.push_back(c);
  }
  close(fd);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void confirm(const std::string& account_id) {
  const auto answer =
      ask(fmt::format("This deletes account {} and every backup in it at the data centre; it "
                      "cannot be undone.\nType the account ID to confirm: ",
                      account_id));
  if (!answer)
    throw Error(Code::usage, "unregister needs a confirmation and there is no terminal to ask on",
                "pass --yes to confirm from a script");
  if (*answer != account_id)
    throw Error(Code::usage, "the account ID typed does not match; nothing was deleted",
                fmt::format("type {} exactly, or press Ctrl-C", account_id));
}

void remove_file(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec)
    throw Error(Code::generic,
                fmt::format("the account is deleted, but {} could not be removed: {}",
                            path.string(), ec.message()),
                "remove it by hand");
}

} // namespace

int run_unregister(const UnregisterOptions& options, const GlobalOptions& global,
                   Terminal& terminal) {
  if (!global.repo.empty())
    throw Error(Code::usage, "unregister cancels a data-centre account, not a local repository",
                "to delete a local repository, remove its directory");
  const Account account = load_account(global);
  const std::string& id = *account.config.account_id;
  // A script without --yes is told at once, before anything is contacted.
  if (!options.yes && !isatty(STDIN_FILENO)) confirm(id);

  auto store = open_account_store(account, terminal);
  store->connect();
  // Refused before anyone types the account ID and before the lock is taken.
  refuse_if_append_only(*store, "unregister");
  if (!options.yes) confirm(id);
  RemoteLeases leases(*store);
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
  {
    LeaseKeeper keeper(leases, core::LeaseKind::exclusive, this_process(global.command),
                       retry_lock_wait(global), terminal);
    std::optional<transport::Frame> reply;
    try {
      reply = store->request(transport::wire::UnregisterRequest{});
    } catch (const Error& e) {
      // Only logging in again for a resend fails this way: the connection
      // broke after the server deleted the account, which is gone now.
      if (e.code() != Code::auth) throw;
      terminal.warning("the connection broke while the account was deleted; logging in again "
                       "fails, so the data centre no longer knows the account");
    }
    if (reply) {
      const auto deleted = decode_reply<transport::wire::UnregisterReply>(
          *reply, fmt::format("delete account {}", id));
      objects = deleted.objects_deleted;
      bytes = deleted.bytes_deleted;
    }
    keeper.abandon(); // deleted with the account
  }
  remove_file(credentials_file(account.dir));
  remove_file(config_file(account.dir));
  if (terminal.json()) {
    terminal.emit({{"type", "unregister"},
                   {"account_id", id},
                   {"objects_deleted", objects},
                   {"bytes_deleted", bytes},
                   {"config_removed", config_file(account.dir).string()}});
    return 0;
  }
  terminal.out(fmt::format("account {} is deleted ({} objects, {}); this machine's configuration "
                           "({}) is removed",
                           id, objects, format_bytes(bytes), account.dir.string()));
  return 0;
}

void register_unregister(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<UnregisterOptions>();
  auto* sub = app.add_subcommand("unregister",
                                 "Cancel the account: the data centre deletes all its backups");
  sub->add_flag("--yes", options->yes, "Do not ask for confirmation (for scripts)");
  sub->footer("Example:\n  offsite unregister            (asks you to type the account ID)");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_unregister(*options, global, t); };
  });
}

} // namespace offsite::cli
