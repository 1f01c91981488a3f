// `offsite key`: the passphrase and the master key.
//
//   key passwd   a new key file for the new passphrase, checked, then the old
//                one removed: the server's wrapped copy IS the keys/ object, so
//                `register --existing` on a new machine needs the new
//                passphrase from then on. No other copy of the wrapped key
//                exists (register keeps none in the config or cache).
//   key list     the key files, and which one the passphrase opens.
//   key add      another passphrase; key remove ID takes one away
//                (key_manage.cpp).
//   key export   the master key in clear, to a new 0600 file, for safekeeping;
//                `key passwd --from-export FILE` sets a passphrase from it.
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/access/key_access.hpp"
#include "cli/commands.hpp"
#include "cli/commands/key_manage.hpp"
#include "cli/config/passphrase.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/common/error.hpp"
#include "core/crypto/key_export.hpp"
#include "core/crypto/key_files.hpp"

namespace offsite::cli {

namespace {

struct KeyOptions {
  std::string new_password_file; // passwd, add
  std::string remove_id;         // remove
  std::string from_export;       // passwd
  std::string output;            // export
};

std::string key_id(const std::string& name) { return name.substr(name.find('/') + 1); }

int run_key_passwd_from_export(const KeyOptions& options, const GlobalOptions& global,
                               Terminal& terminal) {
  std::ifstream in(options.from_export, std::ios::binary);
  if (!in)
    throw Error(Code::usage, fmt::format("cannot read the key export {}", options.from_export),
                "check the path and its permissions");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const core::KeyExport exported = core::parse_key_export(text);
  const std::string passphrase = read_new_passphrase(options.new_password_file);

  // Adding a key file deletes nothing, so no lease is needed (and the
  // passphrase with_repository would ask for is the one that was lost).
  std::string location;
  auto store = open_store(global, terminal, location);
  if (!store->head("config"))
    throw Error(Code::config, fmt::format("there is no repository at {}", location),
                "check --repo or --config-dir");
  std::string repository_id;
  try {
    repository_id = core::Repository(*store, exported.key).id();
  } catch (const Error& e) {
    if (e.code() != Code::integrity) throw;
    throw Error(Code::wrong_passphrase,
                fmt::format("the exported key in {} does not open the repository at {}",
                            options.from_export, location),
                "pass the export of this repository (its repository_id is in the file)");
  }
  if (!exported.repository_id.empty() && exported.repository_id != repository_id)
    throw Error(Code::usage,
                fmt::format("{} is the export of repository {}, not of {}", options.from_export,
                            printable(exported.repository_id.substr(0, 8)),
                            repository_id.substr(0, 8)));
  const std::string added = core::add_key_file(*store, exported.key, passphrase);
  if (terminal.json()) {
    terminal.emit({{"type", "key_passwd"},
                   {"repository_id", repository_id},
                   {"added", key_id(added)},
                   {"removed", nullptr},
                   {"from_export", true}});
    return 0;
  }
  terminal.out(fmt::format("added key {}: the new passphrase opens repository {}; other key "
                           "files are kept (see \"offsite key list\")",
                           key_id(added), repository_id.substr(0, 8)));
  return 0;
}

int run_key_passwd(const KeyOptions& options, const GlobalOptions& global, Terminal& terminal) {
  if (!options.from_export.empty()) return run_key_passwd_from_export(options, global, terminal);
  // Both passphrases are read before the exclusive lease is taken, so a
  // slow typist never holds up another machine's backup.
  const std::string old_passphrase = read_passphrase(global, "Current passphrase: ");
  const std::string passphrase = read_new_passphrase(options.new_password_file);
  if (passphrase == old_passphrase)
    throw Error(Code::usage, "the new passphrase is the same as the current one",
                "choose a different passphrase");
  return with_repository_passphrase(
      global, terminal, RepoLock::exclusive, old_passphrase,
      [&](RepositoryContext& ctx, const std::string&) {
        auto& store = ctx.repo.store();
        const auto opened = core::find_key_file(store, old_passphrase);
        const auto change = core::change_passphrase(store, opened.key, opened.name, passphrase);
        if (terminal.json()) {
          terminal.emit({{"type", "key_passwd"},
                         {"repository_id", ctx.repo.id()},
                         {"added", key_id(change.added)},
                         {"removed", key_id(change.removed)},
                         {"from_export", false}});
          return 0;
        }
        terminal.out(fmt::format(
            "passphrase changed for repository {} (key {} replaces {}); other machines, "
            "\"offsite register --existing\" and passphrase files (a scheduled backup's too) "
            "need the new passphrase from now on",
            ctx.repo.id().substr(0, 8), key_id(change.added), key_id(change.removed)));
        return 0;
      });
}

// Local time, as every table shows it; JSON keeps the file's UTC text.
std::string local_created(const std::string& created) {
  try {
    return format_local_time(parse_time(created, "created"));
  } catch (const Error&) {
    return printable(created); // not a time we wrote: show it as it is
  }
}

int run_key_list(const GlobalOptions& global, Terminal& terminal) {
  return with_repository_passphrase(
      global, terminal, RepoLock::none, read_passphrase(global, "Passphrase: "),
      [&](RepositoryContext& ctx, const std::string& passphrase) {
        auto& store = ctx.repo.store();
        const std::string current = core::find_key_file(store, passphrase).name;
        const auto keys = core::list_key_files(store);
        if (terminal.json()) {
          nlohmann::json items = nlohmann::json::array();
          for (const auto& k : keys)
            items.push_back({{"id", k.id},
                             {"created", k.created},
                             {"host", k.host},
                             {"user", k.user},
                             {"current", k.name == current}});
          terminal.emit({{"type", "keys"}, {"repository_id", ctx.repo.id()}, {"keys", items}});
          return 0;
        }
        std::string table =
            fmt::format(" {:<16}  {:<20}  {:<16}  {}\n", "ID", "Created", "Host", "User");
        for (const auto& k : keys)
          table += fmt::format("{}{:<16}  {:<20}  {:<16}  {}\n", k.name == current ? '*' : ' ',
                               printable(k.id), local_created(k.created), printable(k.host),
                               printable(k.user));
        table += fmt::format("{} key file{}; * = the one your passphrase opens", keys.size(),
                             keys.size() == 1 ? "" : "s");
        terminal.out(table);
        return 0;
      });
}

// O_EXCL: an export never replaces a file (perhaps an older export of
// another repository); 0600 whatever the umask, set before a byte is written.
void write_new_private_file(const std::string& path, std::string_view text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      throw Error(Code::usage, fmt::format("{} already exists; refusing to overwrite it", path),
                  "choose another --output name, or move the old file away first");
    throw_errno(fmt::format("cannot create {}", path), errno);
  }
  bool ok = fchmod(fd, 0600) == 0;
  std::size_t done = 0;
  int err = 0;
  while (ok && done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      ok = false;
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  if (ok && fsync(fd) != 0) {
    err = errno;
    ok = false;
  }
  if (close(fd) != 0 && ok) {
    err = errno;
    ok = false;
  }
  if (!ok) {
    unlink(path.c_str());
    if (err == ENOSPC) throw Error(Code::no_space, fmt::format("{}: the disk is full", path));
    throw_errno(fmt::format("cannot write {}", path), err);
  }
}

int run_key_export(const KeyOptions& options, const GlobalOptions& global, Terminal& terminal) {
  const bool to_stdout = options.output == "-";
  if (to_stdout && terminal.json())
    throw Error(Code::usage, "--output - cannot be combined with --json",
                "the master key never goes into JSON output: write it to a file");
  std::string path;
  if (!to_stdout) {
    path = std::filesystem::absolute(options.output).lexically_normal().string();
    // Checked here too so that nobody types a passphrase for nothing.
    std::error_code ec;
    if (std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found)
      throw Error(Code::usage, fmt::format("{} already exists; refusing to overwrite it", path),
                  "choose another --output name, or move the old file away first");
  }
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    const std::string text = core::format_key_export({ctx.repo.key(), ctx.repo.id()});
    if (to_stdout) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      terminal.info("that is the master key in clear: keep it offline");
      return 0;
    }
    write_new_private_file(path, text);
    if (terminal.json()) {
      terminal.emit({{"type", "key_export"},
                     {"repository_id", ctx.repo.id()},
                     {"file", path},
                     {"mode", "0600"}});
      return 0;
    }
    terminal.out(fmt::format(
        "wrote the master key of repository {} to {} (mode 0600).\n"
        "Keep it offline: with it and the account credentials anyone can read the backups.\n"
        "If the passphrase is lost: offsite key passwd --from-export {}",
        ctx.repo.id().substr(0, 8), path, path));
    return 0;
  });
}

} // namespace

void register_key(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<KeyOptions>();
  auto* sub = app.add_subcommand(
      "key", "Change, add or remove passphrases, list key files, export the key");
  sub->require_subcommand(1);

  auto* passwd = sub->add_subcommand(
      "passwd", "Change the passphrase (the copy on the server too); the old one stops working");
  passwd
      ->add_option("--new-password-file", options->new_password_file,
                   "Read the new passphrase from a file (default: ask twice)")
      ->type_name("FILE");
  passwd
      ->add_option("--from-export", options->from_export,
                   "Set a passphrase from a \"key export\" file instead of the old passphrase")
      ->type_name("FILE");
  passwd->footer("Examples:\n  offsite key passwd\n"
                 "  offsite key passwd --from-export ~/offsite-key.json");
  passwd->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_key_passwd(*options, global, t); };
  });

  auto* list = sub->add_subcommand("list", "List the key files; * marks the one in use");
  list->footer("Example:\n  offsite key list");
  list->callback(
      [&global] { global.run = [&global](Terminal& t) { return run_key_list(global, t); }; });

  auto* add = sub->add_subcommand(
      "add", "Add another passphrase (a new key file); the others keep working");
  add->add_option("--new-password-file", options->new_password_file,
                  "Read the new passphrase from a file (default: ask twice)")
      ->type_name("FILE");
  add->footer("Example:\n  offsite key add --new-password-file ~/.config/offsite/laptop.pass");
  add->callback([options, &global] {
    global.run = [options, &global](Terminal& t) {
      return run_key_add(options->new_password_file, global, t);
    };
  });

  auto* remove =
      sub->add_subcommand("remove", "Remove a key file (never the one your passphrase opens)");
  remove->add_option("ID", options->remove_id, "The key's ID, or a unique start of it (key list)")
      ->required();
  remove->footer("Example:\n  offsite key remove 3f2a9c1e");
  remove->callback([options, &global] {
    global.run = [options, &global](Terminal& t) {
      return run_key_remove(options->remove_id, global, t);
    };
  });

  auto* exporter = sub->add_subcommand(
      "export", "Write the master key to a new file (mode 0600) for safekeeping");
  exporter
      ->add_option("-o,--output", options->output,
                   "The file to create (never overwritten); - for stdout")
      ->type_name("FILE")
      ->required();
  exporter->footer("Example:\n  offsite key export --output /media/usb/offsite-key.json");
  exporter->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_key_export(*options, global, t); };
  });
  sub->footer("Examples:\n"
              "  offsite key passwd\n"
              "  offsite key list\n"
              "  offsite key add\n"
              "  offsite key remove 3f2a9c1e\n"
              "  offsite key export --output /media/usb/offsite-key.json\n"
              "  offsite key passwd --from-export /media/usb/offsite-key.json");
}

} // namespace offsite::cli
