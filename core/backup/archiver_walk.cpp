// The walk: directories are opened relative to their parent's descriptor
// with O_NOFOLLOW, entries are lstat'ed with fstatat(AT_SYMLINK_NOFOLLOW), so
// a symlink swapped in during the backup is recorded as a symlink and never
// followed. Only regular files and directories are ever opened.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/backup/archiver_impl.hpp"
#include "core/backup/dir_listing.hpp"
#include "core/backup/exclude.hpp"
#include "core/common/error.hpp"

namespace offsite::core::archiver_detail {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

} // namespace

void Archiver::walk_trie(const PathTrie& trie, int dir_fd, const std::string& path,
                         DirState& into) {
  for (const auto& [name, child] : trie.children) {
    const std::string child_path = join_path(path, name);
    if (child.target) {
      process_entry(dir_fd, name, child_path, into, std::nullopt);
      continue;
    }
    poll_cancel();
    // A directory above a given path: resolved like the kernel resolves the
    // path (following symlinks), recorded as the directory it leads to.
    // Reaching a given path needs only search permission on the directories
    // above it (a home directory of mode 0711, say), as for the kernel: then
    // the directory is opened O_PATH, enough to stat it and to go below, and
    // its extended attributes, which need read permission, are left out.
    int raw = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool search_only = raw < 0 && errno == EACCES;
    if (search_only) raw = ::openat(dir_fd, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    Fd fd(raw);
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
      warn(child_path, "cannot open the directory: " + errno_text(errno), true);
      continue;
    }
    Node node;
    node.name = name;
    fill_metadata(node, st, m_names);
    if (!search_only) add_xattrs(node, child_path, fd.get());
    auto state = std::make_unique<DirState>();
    state->parent = &into;
    state->index_in_parent = into.nodes.size();
    state->name = name;
    into.nodes.push_back(std::move(node));
    ++m_summary.dirs;
    walk_trie(child, fd.get(), child_path, *state);
    fd.reset();
    finish_dir(std::move(state));
  }
}

void Archiver::walk_dir(int dir_fd, const std::string& path, DirState& state, dev_t root_dev) {
  int err = 0;
  const std::vector<std::string> names = list_backup_names(dir_fd, m_options.markers, err);
  if (err != 0) warn(path, "cannot read the directory completely: " + errno_text(err), true);
  for (const auto& name : names)
    process_entry(dir_fd, name, join_path(path, name), state, root_dev);
}

void Archiver::process_entry(int dir_fd, const std::string& name, const std::string& path,
                             DirState& into, std::optional<dev_t> root_dev) {
  poll_cancel();
  if (m_options.excludes.matches(path)) return;
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    const int err = errno;
    warn(path,
         err == ENOENT ? "vanished before it could be read" : "cannot stat: " + errno_text(err),
         true);
    return;
  }
  const auto type = node_type_of(st.st_mode);
  if (!type) {
    warn(path, "unsupported file type; skipped", true);
    return;
  }
  Node node;
  node.name = name;
  fill_metadata(node, st, m_names);
  switch (*type) {
  case NodeType::dir:
    back_up_dir(dir_fd, path, st, std::move(node), into, root_dev.value_or(st.st_dev));
    return;
  case NodeType::file: back_up_file(dir_fd, path, std::move(node), into); return;
  case NodeType::symlink: {
    auto target = read_link_at(dir_fd, name, static_cast<std::size_t>(st.st_size));
    if (!target) {
      const int err = errno;
      warn(path,
           err == ENOENT ? "vanished before it could be read"
                         : "cannot read the symlink: " + errno_text(err),
           true);
      return;
    }
    node.link_target = std::move(*target);
    break;
  }
  default: break; // FIFOs, devices and sockets: metadata only, never opened
  }
  add_xattrs(node, path, -1);
  ++m_summary.other_nodes;
  into.nodes.push_back(std::move(node));
}

void Archiver::back_up_dir(int dir_fd, const std::string& path, const struct stat& st, Node node,
                           DirState& into, dev_t root_dev) {
  // --one-file-system: a mount point is kept as an empty directory (so the
  // restore shows where it was), its contents are not read.
  const bool descend = !(m_options.one_file_system && st.st_dev != root_dev);
  Fd fd;
  if (descend) {
    fd = Fd(open_dir_to_list(dir_fd, node.name.c_str()));
    if (!fd.valid()) {
      const int err = errno;
      warn(path,
           err == ENOENT ? "vanished before it could be read"
                         : "cannot open the directory: " + errno_text(err),
           true);
      return;
    }
    struct stat now {};
    if (::fstat(fd.get(), &now) == 0 && (now.st_ino != st.st_ino || now.st_dev != st.st_dev))
      fill_metadata(node, now, m_names); // replaced since lstat: describe what is read
  }
  add_xattrs(node, path, fd.get());

  auto state = std::make_unique<DirState>();
  state->parent = &into;
  state->index_in_parent = into.nodes.size();
  state->name = node.name;
  into.nodes.push_back(std::move(node));
  ++m_summary.dirs;
  if (descend) walk_dir(fd.get(), path, *state, root_dev);
  fd.reset();
  finish_dir(std::move(state));
}

bool Archiver::add_xattrs(Node& node, const std::string& path, int fd) {
  XattrResult r = fd >= 0 ? read_xattrs_fd(fd) : read_xattrs(path);
  if (r.error != 0) warn(path, "cannot read extended attributes: " + errno_text(r.error), false);
  node.xattrs = std::move(r.xattrs);
  return r.error == 0;
}

} // namespace offsite::core::archiver_detail
