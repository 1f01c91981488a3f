// dump: one file of a snapshot to stdout (or --target FILE), or a directory
// as a tar or zip stream, written as it is decrypted.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/interrupt.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/dump/dump.hpp"
#include "util/fd.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

struct DumpOptions {
  std::string snapshot; // SNAPSHOT or SNAPSHOT:PATH
  std::string path;     // PATH as a second argument
  std::string archive;  // "", "tar" or "zip"
  std::string target;   // "" = stdout
  core::SnapshotFilter filter;
};

namespace {

// Writes to a file descriptor; a reader that went away (EPIPE) is an error
// of its own, so `offsite dump ... | psql` never passes for complete.
class FdSink final : public core::ByteSink {
public:
  FdSink(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {}
  void write(ByteView data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(m_fd, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EPIPE)
        throw Error(Code::generic, fmt::format("{} was closed before the dump finished", m_name),
                    "the program reading the dump stopped early; its own error says why");
      if (n < 0)
        throw Error(errno == ENOSPC ? Code::no_space : Code::generic,
                    fmt::format("cannot write to {}: {}", m_name, std::strerror(errno)));
      data = data.subspan(static_cast<std::size_t>(n));
    }
  }

private:
  int m_fd;
  std::string m_name;
};

class DumpReporter final : public core::DumpReporter {
public:
  explicit DumpReporter(Terminal& terminal) : m_terminal(terminal) {}
  void left_out(const std::string& path, const std::string& reason) override {
    m_terminal.warning(fmt::format("{}: left out of the archive: {}", printable(path), reason));
  }
  void unsupported(const std::string& path, const std::string& reason) override {
    m_terminal.warning(fmt::format("{}: left out: {}", printable(path), reason));
  }
  bool cancelled() override { return interrupted(); }

private:
  Terminal& m_terminal;
};

std::optional<core::ArchiveFormat> archive_format(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return name == "zip" ? core::ArchiveFormat::zip : core::ArchiveFormat::tar;
}

} // namespace

int run_dump(const DumpOptions& options, const GlobalOptions& global, Terminal& terminal) {
  auto reference = core::split_snapshot_path(options.snapshot);
  if (!options.path.empty()) {
    if (!reference.path.empty())
      throw Error(Code::usage, "the path is given twice: after ':' and as a second argument",
                  "write offsite dump latest:/etc/hosts or offsite dump latest /etc/hosts");
    reference.path = core::snapshot_inner_path(options.path, "the path");
  }
  if (reference.path.empty())
    throw Error(Code::usage, "no path inside the snapshot given",
                "name a file or directory, e.g. offsite dump latest:/etc/hosts (\"/\" dumps the "
                "whole snapshot as an archive)");

  if (terminal.json() && options.target.empty())
    throw Error(Code::usage,
                "--json prints its summary on standard output, where the dump would go",
                "name a file with --target, or leave out --json");

  util::Fd file;
  int fd = STDOUT_FILENO;
  std::string name = "standard output";
  if (!options.target.empty()) {
    file = util::Fd(::open(options.target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!file.valid())
      throw Error(errno == ENOSPC ? Code::no_space : Code::generic,
                  fmt::format("cannot create {}: {}", options.target, std::strerror(errno)));
    fd = file.get();
    name = options.target;
  } else if (terminal.stdout_is_tty() && !options.archive.empty()) {
    throw Error(Code::usage, "an archive would be written to the terminal",
                "redirect the output (> backup.tar, | tar -x) or name a file with --target");
  }

  return with_repository(global, terminal, {}, RepoLock::shared, [&](RepositoryContext& ctx) {
    const auto snapshot =
        resolve_snapshot_checked(ctx, global, terminal, reference.snapshot, options.filter);
    core::DumpOptions dump;
    dump.path = reference.path;
    dump.archive = archive_format(options.archive);
    FdSink sink(fd, name);
    DumpReporter reporter(terminal);
    const auto result = core::dump(ctx.repo, snapshot, dump, sink, reporter);
    if (file.valid() && ::fsync(file.get()) != 0)
      throw Error(Code::generic, fmt::format("cannot flush {}: {}", name, std::strerror(errno)));
    if (terminal.json())
      terminal.emit(
          {{"type", "summary"},
           {"command", "dump"},
           {"snapshot_id", snapshot.id},
           {"path", reference.path},
           {"target", options.target},
           {"archive", result.archived
                           ? nlohmann::json(options.archive.empty() ? "tar" : options.archive)
                           : nlohmann::json()},
           {"entries", result.entries},
           {"bytes", result.bytes},
           {"left_out", result.left_out}});
    if (result.left_out > 0)
      throw Error(Code::integrity,
                  fmt::format("{} {} left out of the archive because {} data is damaged or "
                              "missing (each is named above); the archive is complete otherwise",
                              result.left_out, result.left_out == 1 ? "file was" : "files were",
                              result.left_out == 1 ? "its" : "their"),
                  "run offsite check --read-data to see the damage");
    return 0;
  });
}

void register_dump(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<DumpOptions>();
  auto* sub = app.add_subcommand(
      "dump", "Write a file of a snapshot to stdout, or a directory as a tar or zip archive");
  sub->add_option("snapshot", options->snapshot,
                  "Snapshot ID, unique prefix or \"latest\", with :/path inside it")
      ->required()
      ->type_name("SNAPSHOT[:PATH]");
  sub->add_option("path", options->path, "The path inside the snapshot (instead of :PATH)")
      ->type_name("PATH");
  sub->add_option("-a,--archive", options->archive,
                  "Archive format: tar (default for a directory) or zip")
      ->check(CLI::IsMember({"tar", "zip"}))
      ->type_name("FORMAT");
  sub->add_option("-t,--target", options->target, "Write to this file instead of stdout")
      ->type_name("FILE");
  add_snapshot_filter(*sub, options->filter, ", for \"latest\"");
  sub->footer("Examples:\n"
              "  offsite dump latest:/etc/hosts\n"
              "  offsite dump latest:/var/backups/db.sql | psql mydb\n"
              "  offsite dump latest:/home/me/docs | tar -x -C /tmp\n"
              "  offsite dump latest:/home/me --archive zip --target home.zip");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_dump(*options, global, t); };
  });
}

} // namespace offsite::cli
