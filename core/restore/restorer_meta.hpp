#pragma once
// Applies a node's metadata (owner, mode, xattrs, times) to a restored entry.
// Order matters: chown clears setuid/setgid and file capabilities, so it
// comes first; times come last because every other change touches ctime and
// a directory's mtime changes with its children (the caller applies a
// directory's metadata after its children).

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/format/tree.hpp"

namespace offsite::core::restore_detail {

class MetadataWriter {
public:
  using WarnFn = std::function<void(const std::string& path, const std::string& message)>;

  // `ownership`: restore owners (and, only then, setuid/setgid bits).
  MetadataWriter(bool ownership, WarnFn warn);

  // Regular files and directories, through their open fd.
  void apply_fd(int fd, const Node& node, const std::string& path);

  // Symlinks, fifos and devices, by name in `dirfd`, never following a
  // symlink. (Linux has no modes for symlinks: theirs are skipped.)
  void apply_at(int dirfd, const std::string& name, const Node& node, const std::string& path);

  bool ownership() const { return m_ownership; }

private:
  std::uint32_t mode_of(const Node& node) const;
  uid_t uid_of(const Node& node);
  gid_t gid_of(const Node& node);
  void chown_failed(const std::string& path, int err);
  void xattr_failed(const std::string& path, const std::string& name, int err);

  bool m_ownership;
  WarnFn m_warn;
  std::unordered_map<std::string, std::optional<uid_t>> m_users;
  std::unordered_map<std::string, std::optional<gid_t>> m_groups;
  bool m_chown_warned = false;
  bool m_xattr_unsupported_warned = false;
};

} // namespace offsite::core::restore_detail
