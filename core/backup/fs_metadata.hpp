#pragma once
// Reading one file system entry's metadata into a tree Node: stat fields,
// owner names, symlink targets and extended attributes. Nothing here opens
// the entry, so FIFOs and devices are safe to describe.

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/format/tree.hpp"

namespace offsite::core {

// uid/gid -> name, looked up once per id (getpwuid_r/getgrgid_r can hit
// NSS/LDAP, far too slow to ask per file). Not thread-safe.
class OwnerNames {
public:
  const std::string& user(uid_t uid);
  const std::string& group(gid_t gid);

private:
  std::unordered_map<uid_t, std::string> m_users;
  std::unordered_map<gid_t, std::string> m_groups;
};

std::int64_t timespec_ns(const struct timespec& ts);

// nullopt for a file type the tree cannot describe.
std::optional<NodeType> node_type_of(mode_t mode);

// Fills type, mode, ownership, times, inode, device, links; size for regular
// files; rdev for devices. The caller has checked node_type_of().
void fill_metadata(Node& node, const struct stat& st, OwnerNames& names);

// The target of the symlink `name` in `dir_fd`; on failure nullopt with
// errno set.
std::optional<std::string> read_link_at(int dir_fd, const std::string& name, std::size_t size_hint);

struct XattrResult {
  std::vector<std::pair<std::string, std::string>> xattrs; // sorted by name
  int error = 0; // errno of a failure other than "not supported", else 0
};

// Extended attributes of `path`, not following a final symlink. A file system
// without xattr support gives an empty list, not an error.
XattrResult read_xattrs(const std::string& path);
// The same for an entry this process has open (a file or directory).
XattrResult read_xattrs_fd(int fd);

} // namespace offsite::core
