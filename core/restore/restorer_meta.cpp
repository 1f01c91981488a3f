#include "core/restore/restorer_meta.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/restore/restorer_fs.hpp"
#include "util/printable.hpp"

namespace offsite::core::restore_detail {

namespace {

constexpr std::uint32_t k_setid_bits = 06000;

std::optional<uid_t> lookup_user(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  while (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == ERANGE)
    buf.resize(buf.size() * 2);
  if (!found) return std::nullopt;
  return found->pw_uid;
}

std::optional<gid_t> lookup_group(const std::string& name) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  while (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == ERANGE)
    buf.resize(buf.size() * 2);
  if (!found) return std::nullopt;
  return found->gr_gid;
}

std::string strerr(int err) { return std::strerror(err); }

std::array<timespec, 2> times_of(const Node& node) {
  // An atime of 0 means "not recorded": leave the current one rather than
  // claim 1970.
  timespec atime = to_timespec(node.atime_ns);
  if (node.atime_ns == 0) {
    atime.tv_sec = 0;
    atime.tv_nsec = UTIME_OMIT;
  }
  return {atime, to_timespec(node.mtime_ns)};
}

} // namespace

MetadataWriter::MetadataWriter(bool ownership, WarnFn warn)
    : m_ownership(ownership), m_warn(std::move(warn)) {}

std::uint32_t MetadataWriter::mode_of(const Node& node) const {
  std::uint32_t mode = node.mode & 07777;
  // A setuid file owned by whoever runs the restore would grant that user's
  // rights to others: keep the bits only with the original owner.
  if (!m_ownership) mode &= ~k_setid_bits;
  return mode;
}

uid_t MetadataWriter::uid_of(const Node& node) {
  // The name wins when it exists here: uids differ between machines, names
  // are what the user means.
  if (!node.user.empty()) {
    auto it = m_users.find(node.user);
    if (it == m_users.end()) it = m_users.emplace(node.user, lookup_user(node.user)).first;
    if (it->second) return *it->second;
  }
  return static_cast<uid_t>(node.uid);
}

gid_t MetadataWriter::gid_of(const Node& node) {
  if (!node.group.empty()) {
    auto it = m_groups.find(node.group);
    if (it == m_groups.end()) it = m_groups.emplace(node.group, lookup_group(node.group)).first;
    if (it->second) return *it->second;
  }
  return static_cast<gid_t>(node.gid);
}

void MetadataWriter::chown_failed(const std::string& path, int err) {
  if (err == EPERM) {
    if (m_chown_warned) return; // the same cause for every entry: say it once
    m_chown_warned = true;
    m_warn(path, "cannot restore file owners (" + strerr(err) +
                     "); run the restore as root, or without restoring ownership");
    return;
  }
  m_warn(path, "cannot restore the owner: " + strerr(err));
}

void MetadataWriter::xattr_failed(const std::string& path, const std::string& name, int err) {
  if (err == ENOTSUP) {
    if (m_xattr_unsupported_warned) return;
    m_xattr_unsupported_warned = true;
    m_warn(path, "the target file system does not support extended attributes; "
                 "they are not restored");
    return;
  }
  m_warn(path, fmt::format("cannot restore extended attribute \"{}\": {}",
                           util::printable(name, {.quoted = true}), strerr(err)));
}

void MetadataWriter::apply_fd(int fd, const Node& node, const std::string& path) {
  if (m_ownership && ::fchown(fd, uid_of(node), gid_of(node)) != 0) chown_failed(path, errno);
  if (::fchmod(fd, static_cast<mode_t>(mode_of(node))) != 0)
    m_warn(path, "cannot restore the permissions: " + strerr(errno));
  for (const auto& [name, value] : node.xattrs) {
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0)
      xattr_failed(path, name, errno);
  }
  const std::array<timespec, 2> times = times_of(node);
  if (::futimens(fd, times.data()) != 0)
    m_warn(path, "cannot restore the modification time: " + strerr(errno));
}

void MetadataWriter::apply_at(int dirfd, const std::string& name, const Node& node,
                              const std::string& path) {
  if (m_ownership &&
      ::fchownat(dirfd, name.c_str(), uid_of(node), gid_of(node), AT_SYMLINK_NOFOLLOW) != 0)
    chown_failed(path, errno);
  if (node.type != NodeType::symlink &&
      ::fchmodat(dirfd, name.c_str(), static_cast<mode_t>(mode_of(node)), AT_SYMLINK_NOFOLLOW) != 0)
    m_warn(path, "cannot restore the permissions: " + strerr(errno));
  if (!node.xattrs.empty()) {
    // No fd for a symlink or device we must not open: go through the
    // directory's fd in /proc. lsetxattr does not follow the last component.
    const std::string via = fmt::format("/proc/self/fd/{}/{}", dirfd, name);
    for (const auto& [xname, value] : node.xattrs) {
      if (::lsetxattr(via.c_str(), xname.c_str(), value.data(), value.size(), 0) != 0)
        xattr_failed(path, xname, errno);
    }
  }
  const std::array<timespec, 2> times = times_of(node);
  if (::utimensat(dirfd, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0)
    m_warn(path, "cannot restore the modification time: " + strerr(errno));
}

} // namespace offsite::core::restore_detail
