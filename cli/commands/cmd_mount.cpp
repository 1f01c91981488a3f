// mount: every snapshot as a read-only file system through FUSE, in the
// foreground, holding a shared lease until it is unmounted.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/mount/fuse_adapter.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/mount/snapshot_fs.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

struct MountOptions {
  std::string mountpoint;
};

namespace {

// Blobs from the repository, lengths from its index.
class RepositorySource final : public core::mount::BlobSource {
public:
  explicit RepositorySource(core::Repository& repo) : m_repo(repo) {}
  Bytes load(core::BlobType type, const core::BlobId& id) override {
    return m_repo.load_blob(type, id);
  }
  std::optional<std::uint64_t> plain_length(const core::BlobId& id) override {
    const auto location = m_repo.index().find(id);
    if (!location) return std::nullopt;
    return location->raw_length;
  }

private:
  core::Repository& m_repo;
};

void check_mountpoint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(Code::usage,
                fmt::format("cannot use {} as the mount point: {}",
                            util::printable(path, {.quoted = true}), std::strerror(errno)),
                "create an empty directory first, e.g. mkdir /mnt/offsite");
  if (!S_ISDIR(st.st_mode))
    throw Error(Code::usage,
                fmt::format("the mount point {} is not a directory",
                            util::printable(path, {.quoted = true})),
                "name an empty directory, e.g. mkdir /mnt/offsite");
}

} // namespace

int run_mount(const MountOptions& options, const GlobalOptions& global, Terminal& terminal) {
  check_mountpoint(options.mountpoint);
  return with_repository(global, terminal, {}, RepoLock::shared, [&](RepositoryContext& ctx) {
    auto listing = list_snapshots_checked(ctx, global, terminal).listing;
    const auto count = listing.snapshots.size();
    RepositorySource source(ctx.repo);
    core::mount::SnapshotFs fs(source, std::move(listing.snapshots));
    FuseMountOptions fuse;
    fuse.mountpoint = options.mountpoint;
    fuse.on_mounted = [&] {
      if (terminal.json())
        terminal.emit({{"type", "mounted"},
                       {"command", "mount"},
                       {"mountpoint", options.mountpoint},
                       {"snapshots", count}});
      else
        terminal.info(fmt::format(
            "{} snapshots mounted on {}; unmount with fusermount3 -u {} or Ctrl-C", count,
            util::printable(options.mountpoint), util::printable(options.mountpoint)));
    };
    fuse.on_damage = [&](const std::string& path, const std::string& reason) {
      terminal.warning(fmt::format("{}: cannot be read, its data is damaged or missing ({}); "
                                   "reads of it fail with an I/O error",
                                   util::printable(path, {.quoted = true}), reason));
    };
    serve_fuse(fs, fuse);
    if (terminal.json())
      terminal.emit({{"type", "summary"},
                     {"command", "mount"},
                     {"mountpoint", options.mountpoint},
                     {"unmounted", true}});
    return 0;
  });
}

void register_mount(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<MountOptions>();
  auto* sub = app.add_subcommand(
      "mount", "Show every snapshot as a read-only file system (FUSE) until unmounted");
  sub->add_option("mountpoint", options->mountpoint, "An empty directory to mount on")
      ->required()
      ->type_name("MOUNTPOINT");
  sub->footer(
      "Layout: ids/<short id>/, hosts/<host>/<time>/, tags/<tag>/<time>/, latest\n"
      "Examples:\n"
      "  offsite mount /mnt/offsite     # runs until fusermount3 -u /mnt/offsite or Ctrl-C\n"
      "  cp -a /mnt/offsite/latest/home/me/notes.txt ~/");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_mount(*options, global, t); };
  });
}

} // namespace offsite::cli
