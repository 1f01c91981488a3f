// Restore: recreate a snapshot (or one entry of it) under a target directory.
//
// A snapshot is untrusted input: whoever could write to the repository (or a
// bug) may have crafted names such as "../../etc", "a/b" or two entries both
// called "x", one a symlink to "/" and one a directory. The design keeps all
// of that inside the target:
//
// 1. Nothing is written before the whole selection is judged. A pre-scan
//    loads every tree the restore will enter and refuses (Error integrity)
//    any name that is empty, ".", "..", holds '/' or NUL, or appears twice in
//    one directory. The target itself is created only after that, so a
//    hostile snapshot leaves no trace. The scan also yields the byte total
//    for progress and tells which include-only "leading" directories would
//    end up empty.
// 2. Every operation is relative to an open directory fd and a single name:
//    directories are entered with openat(O_DIRECTORY|O_NOFOLLOW), files are
//    created with O_CREAT|O_EXCL|O_NOFOLLOW. A symlink, whether restored from
//    the snapshot or already in the target, is never followed; where the
//    snapshot has a directory and the target a symlink, the symlink is
//    replaced (unless --overwrite never), not entered.
// 3. Files, symlinks, fifos and devices are built under a temporary name
//    (".<name>.offsite-tmp-XXXXXXXX"), get their metadata, and are renamed
//    into place: an interrupted restore leaves complete entries or none.
// 4. Directories are created 0700, filled, then get their owner, mode, xattrs
//    and times (post-order), so their mtimes stick and a read-only directory
//    of the snapshot does not block its own children.
//
// Sub-path "/home/a/docs" restores as target/docs/... (as restic does); no
// sub-path restores everything as target/home/a/docs/... .
// Failures confined to one entry (a permission, a name too long for the
// target file system) are warnings. Damaged or missing data costs only the
// files (and directory listings) that use it: each is named and left out,
// as restic's restore does; a full disk, an unreachable store or a cancel
// stop the restore with an Error.

#include "core/restore/restorer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/restore/restorer_impl.hpp"
#include "util/path.hpp"
#include "util/printable.hpp"

namespace offsite::core {

namespace restore_detail {

Restorer::Restorer(Repository& repo, const Snapshot& snapshot, const RestoreOptions& options,
                   RestoreReporter& reporter)
    : m_repo(repo), m_snapshot(snapshot), m_options(options), m_reporter(reporter), m_trees(repo),
      m_filter(options.includes, options.excludes),
      m_meta(options.ownership.value_or(::geteuid() == 0),
             [this](const std::string& path, const std::string& message) { warn(path, message); }),
      m_prefetch(repo) {}

Restorer::~Restorer() {
  if (m_schedule) m_repo.advise_pack_reads({}); // the cache outlives this restore
}

static util::Fd open_target(const std::filesystem::path& target) {
  // The target path is the user's choice, so following symlinks in it is
  // right; below it, nothing is followed.
  std::error_code ec;
  std::filesystem::create_directories(target, ec);
  if (ec)
    throw_errno(fmt::format("cannot create the restore target {}", target.string()), ec.value());
  const int fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(fmt::format("cannot open the restore target {}", target.string()), errno);
  return util::Fd(fd);
}

// A dry run looks at the target if it exists and never creates it; a
// missing target is an empty one (fd -1: every entry below is new).
static util::Fd open_existing_target(const std::filesystem::path& target) {
  const int fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT)
    throw_errno(fmt::format("cannot open the restore target {}", target.string()), errno);
  return util::Fd(fd);
}

RestoreResult Restorer::run() {
  if (m_options.target.empty())
    throw Error(Code::usage, "no restore target given", "name a directory with --target");
  const std::string snapshot_name =
      m_snapshot.id.empty() ? "(unsaved)" : m_snapshot.id.substr(0, 8);
  const RestoreRoot root =
      resolve_sub_path(m_trees, m_snapshot.tree, m_options.sub_path, snapshot_name);
  m_scan = scan(m_trees, m_filter, m_snapshot.tree, root, !m_options.dry_run);
  m_progress.bytes_total = m_scan.bytes_total;
  poll_cancel();
  if (!m_options.dry_run && m_repo.store().remote()) {
    m_schedule =
        std::make_unique<BlockSchedule>(m_repo, m_scan.contents, PackBlockCache::k_block_size);
    m_repo.advise_pack_reads(
        [schedule = m_schedule.get()](const std::string& key, std::uint64_t block) {
          return schedule->next_use(key, block);
        },
        k_announce_ahead); // as far ahead as the prefetcher is told of blobs
  }

  m_target =
      m_options.dry_run ? open_existing_target(m_options.target) : open_target(m_options.target);
  std::vector<std::string> rel;
  if (!root.node) {
    std::string reason;
    if (const auto tree = m_trees.load_readable(m_snapshot.tree, "/", reason)) {
      restore_children(m_target.get(), *tree, "/", rel, false, 0);
      delete_extra(m_target.get(), *tree, "/");
    } else
      damaged("/", reason, true);
  } else {
    const Selection sel = m_filter.select(root.path, *root.node, false);
    if (sel != Selection::skip && !m_scan.empty_leading.contains(root.path)) {
      try {
        restore_entry(m_target.get(), *root.node, root.path, rel, sel == Selection::all, 0);
      } catch (const EntryFailure& failure) {
        warn(root.path, failure.message);
      }
    }
  }
  report("");

  if (m_verify_failures > 0)
    throw Error(
        Code::integrity,
        fmt::format("{} restored file(s) differ from the snapshot when read back, the first "
                    "is {}",
                    m_verify_failures, util::printable(m_first_verify_failure, {.quoted = true})),
        "the target disk or file system may be failing: check it (dmesg, fsck) and "
        "restore again");
  return m_result;
}

void Restorer::restore_children(int dirfd, const Tree& tree, const std::string& path,
                                std::vector<std::string>& rel, bool inside_included, int depth) {
  for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
    const Node& node = tree.nodes[i];
    poll_cancel();
    const std::string child = util::join_path(path, node.name);
    const Selection sel = m_filter.select(child, node, inside_included);
    if (sel == Selection::skip) continue;
    if (sel == Selection::leading && m_scan.empty_leading.contains(child)) continue;
    try {
      restore_entry(dirfd, node, child, rel, inside_included || sel == Selection::all, depth + 1);
    } catch (const EntryFailure& failure) {
      warn(child, failure.message);
    }
  }
}

bool Restorer::follow_walk(const Node& node) {
  if (node.content.empty()) return false;
  // The walk passes files the pre-scan listed without restoring them
  // (unchanged, kept, under a directory it could not create), so the file's
  // place is searched from the last one: the first place its blobs start.
  const std::vector<BlobId>& all = m_scan.contents;
  const std::size_t n = node.content.size();
  for (std::size_t p = m_walked; p + n <= all.size(); ++p) {
    if (all[p] != node.content.front() || !std::equal(node.content.begin(), node.content.end(),
                                                      all.begin() + static_cast<std::ptrdiff_t>(p)))
      continue;
    m_file_start = p;
    m_walked = p + n;
    if (m_schedule) m_schedule->advance(p);
    return true;
  }
  return false;
}

void Restorer::announce_ahead() {
  if (m_options.dry_run) return; // fetches nothing
  if (m_announced < m_file_start) {
    // The walk went past everything announced without taking it: those
    // slots would stay, and hold the look-ahead at its limit, for good.
    m_prefetch.clear();
    m_announced = m_file_start;
  }
  const std::vector<BlobId>& all = m_scan.contents;
  while (m_announced < all.size() && m_prefetch.pending() < k_announce_ahead) {
    const std::size_t n = std::min(k_announce_batch, all.size() - m_announced);
    const auto from = all.begin() + static_cast<std::ptrdiff_t>(m_announced);
    m_prefetch.expect(std::vector<BlobId>(from, from + static_cast<std::ptrdiff_t>(n)));
    m_announced += n;
  }
}

void Restorer::restore_entry(int dirfd, const Node& node, const std::string& path,
                             std::vector<std::string>& rel, bool inside_included, int depth) {
  // The pre-scan judged these names already; checking again costs nothing
  // and keeps this function safe on its own.
  if (!is_safe_node_name(node.name)) throw EntryFailure{"unsafe name"};
  switch (node.type) {
  case NodeType::dir: restore_dir(dirfd, node, path, rel, inside_included, depth); break;
  case NodeType::file: restore_file(dirfd, node, path, rel); break;
  default: restore_special(dirfd, node, path); break;
  }
  report(path);
}

void Restorer::restore_dir(int dirfd, const Node& node, const std::string& path,
                           std::vector<std::string>& rel, bool inside_included, int depth) {
  if (!node.subtree || depth > k_max_depth) throw EntryFailure{"not a valid directory"};
  const auto existing =
      m_fresh_dirs.contains(dirfd) ? std::optional<struct stat>() : stat_at(dirfd, node.name);
  bool created = false;
  if (existing && !S_ISDIR(existing->st_mode)) {
    if (m_options.overwrite == Overwrite::never) {
      skip(node, path);
      return;
    }
    // Typically a symlink: replaced, never entered.
    if (!m_options.dry_run) unlink_at(dirfd, node.name);
  }
  if (!existing || !S_ISDIR(existing->st_mode)) {
    if (!m_options.dry_run && ::mkdirat(dirfd, node.name.c_str(), 0700) != 0)
      fail("cannot create the directory", errno);
    created = true;
    m_reporter.entry(path, existing ? RestoreAction::overwrite : RestoreAction::write);
  }
  // O_NOFOLLOW|O_DIRECTORY: if anything swapped the new directory for a
  // symlink in between, this fails instead of following it. A dry run
  // enters only what exists (-1: a directory it would create, empty).
  const util::Fd fd = m_options.dry_run && created ? util::Fd() : open_dir_at(dirfd, node.name);
  std::string reason;
  const auto tree = m_trees.load_readable(*node.subtree, path, reason);
  if (tree) {
    rel.push_back(node.name);
    if (created && !m_options.dry_run) m_fresh_dirs.insert(fd.get());
    restore_children(fd.get(), *tree, path, rel, inside_included, depth);
    m_fresh_dirs.erase(fd.get());
    rel.pop_back();
    delete_extra(fd.get(), *tree, path);
  } else {
    damaged(path, reason, true);
  }
  if (!m_options.dry_run && (created || m_options.overwrite != Overwrite::never))
    m_meta.apply_fd(fd.get(), node, path);
  ++m_result.dirs;
}

void Restorer::restore_special(int dirfd, const Node& node, const std::string& path) {
  if (node.type == NodeType::socket) {
    // A socket is only meaningful to the process that was listening on it.
    skip(node, path);
    return;
  }
  const bool device = node.type == NodeType::chardev || node.type == NodeType::blockdev;
  if (device && ::geteuid() != 0) {
    warn(path, "device node not restored: creating one needs root");
    skip(node, path);
    return;
  }
  if (!may_replace(dirfd, node, path)) return;
  if (m_options.dry_run) {
    ++m_result.other;
    placed(path);
    return;
  }

  const std::string tmp = m_temps.create(node.name, [&](const std::string& name) {
    int rc = 0;
    switch (node.type) {
    case NodeType::symlink: rc = ::symlinkat(node.link_target.c_str(), dirfd, name.c_str()); break;
    case NodeType::fifo: rc = ::mkfifoat(dirfd, name.c_str(), 0600); break;
    default:
      rc = ::mknodat(dirfd, name.c_str(),
                     (node.type == NodeType::chardev ? S_IFCHR : S_IFBLK) | 0600,
                     static_cast<dev_t>(node.rdev));
      break;
    }
    return rc == 0 ? 0 : errno;
  });
  TempEntry entry(dirfd, tmp);
  m_meta.apply_at(dirfd, tmp, node, path);
  entry.commit(node.name);
  ++m_result.other;
  placed(path);
}

bool Restorer::unchanged(int dirfd, const Node& node, const struct stat& st) const {
  switch (node.type) {
  case NodeType::file:
    return S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) == node.size &&
           mtime_ns_of(st) == node.mtime_ns;
  case NodeType::symlink: {
    if (!S_ISLNK(st.st_mode)) return false;
    std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
    const ssize_t n = ::readlinkat(dirfd, node.name.c_str(), target.data(), target.size());
    return n >= 0 && static_cast<std::size_t>(n) < target.size() &&
           target.substr(0, static_cast<std::size_t>(n)) == node.link_target;
  }
  case NodeType::fifo: return S_ISFIFO(st.st_mode);
  case NodeType::chardev: return S_ISCHR(st.st_mode) && st.st_rdev == node.rdev;
  case NodeType::blockdev: return S_ISBLK(st.st_mode) && st.st_rdev == node.rdev;
  default: return false;
  }
}

bool Restorer::may_replace(int dirfd, const Node& node, const std::string& path) {
  if (m_fresh_dirs.contains(dirfd)) { // nothing can be in the way
    m_existed = false;
    return true;
  }
  const auto existing = stat_at(dirfd, node.name);
  m_existed = existing.has_value();
  if (!existing) return true;
  if (S_ISDIR(existing->st_mode)) {
    // Deleting a whole directory tree of the user's to put one file there is
    // not something a restore should do on its own.
    if (m_options.overwrite != Overwrite::never)
      warn(path, fmt::format("a directory is in the way of this {}; it was left alone and the "
                             "entry not restored",
                             node_type_name(node.type)));
    skip(node, path);
    return false;
  }
  switch (m_options.overwrite) {
  case Overwrite::never: skip(node, path); return false;
  case Overwrite::if_changed:
    if (unchanged(dirfd, node, *existing)) {
      skip(node, path);
      return false;
    }
    return true;
  case Overwrite::always: return true;
  }
  return true;
}

void Restorer::warn(const std::string& path, const std::string& message) {
  ++m_result.warnings;
  m_reporter.warning(path, message); // raw: the reporter escapes for its output
}

void Restorer::damaged(const std::string& path, const std::string& reason, bool directory) {
  warn(path, directory
                 ? fmt::format("directory restored empty: its listing cannot be read ({})", reason)
                 : fmt::format("not restored: its data is damaged or missing ({})", reason));
  m_result.damaged.push_back({path, reason, directory});
}

void Restorer::skip(const Node& node, const std::string& path) {
  ++m_result.skipped;
  m_reporter.entry(path, RestoreAction::skip);
  if (node.type == NodeType::file) m_progress.bytes_done += node.size;
}

void Restorer::placed(const std::string& path) {
  if (m_existed) ++m_result.overwritten;
  m_reporter.entry(path, m_existed ? RestoreAction::overwrite : RestoreAction::write);
}

void Restorer::poll_cancel() {
  if (m_reporter.cancelled())
    throw Error(Code::interrupted,
                fmt::format("restore interrupted after {} files; every file restored so far is "
                            "complete, none is half-written",
                            m_result.files),
                "run the same restore again with --overwrite if-changed to continue where it "
                "stopped");
}

void Restorer::report(const std::string& path) {
  if (!path.empty()) m_progress.current_path = path;
  m_progress.files_done = m_result.files;
  m_reporter.progress(m_progress);
}

} // namespace restore_detail

RestoreResult restore(Repository& repo, const Snapshot& snapshot, const RestoreOptions& options,
                      RestoreReporter& reporter) {
  return restore_detail::Restorer(repo, snapshot, options, reporter).run();
}

} // namespace offsite::core
