#include "core/backup/fs_metadata.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace offsite::core {

namespace {

// getpwuid_r/getgrgid_r with a buffer that grows on ERANGE.
template <class Entry, class Lookup, class Field>
std::string lookup_name(Lookup lookup, unsigned id, Field field) {
  std::vector<char> buffer(4096);
  for (int attempt = 0; attempt < 8; ++attempt) {
    Entry entry{};
    Entry* found = nullptr;
    int rc = lookup(id, &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE) {
      buffer.resize(buffer.size() * 4);
      continue;
    }
    if (rc == 0 && found) return field(*found);
    break;
  }
  return {};
}

bool xattrs_unsupported(int err) { return err == ENOTSUP || err == ENOSYS; }

} // namespace

const std::string& OwnerNames::user(uid_t uid) {
  auto it = m_users.find(uid);
  if (it == m_users.end()) {
    std::string name = lookup_name<passwd>(
        [](unsigned id, passwd* e, char* b, std::size_t n, passwd** f) {
          return ::getpwuid_r(static_cast<uid_t>(id), e, b, n, f);
        },
        uid, [](const passwd& p) { return std::string(p.pw_name); });
    it = m_users.emplace(uid, std::move(name)).first;
  }
  return it->second;
}

const std::string& OwnerNames::group(gid_t gid) {
  auto it = m_groups.find(gid);
  if (it == m_groups.end()) {
    std::string name = lookup_name<struct group>(
        [](unsigned id, struct group* e, char* b, std::size_t n, struct group** f) {
          return ::getgrgid_r(static_cast<gid_t>(id), e, b, n, f);
        },
        gid, [](const struct group& g) { return std::string(g.gr_name); });
    it = m_groups.emplace(gid, std::move(name)).first;
  }
  return it->second;
}

std::int64_t timespec_ns(const struct timespec& ts) {
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 +
         static_cast<std::int64_t>(ts.tv_nsec);
}

std::optional<NodeType> node_type_of(mode_t mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return NodeType::file;
  case S_IFDIR: return NodeType::dir;
  case S_IFLNK: return NodeType::symlink;
  case S_IFIFO: return NodeType::fifo;
  case S_IFCHR: return NodeType::chardev;
  case S_IFBLK: return NodeType::blockdev;
  case S_IFSOCK: return NodeType::socket;
  default: return std::nullopt;
  }
}

void fill_metadata(Node& node, const struct stat& st, OwnerNames& names) {
  node.type = node_type_of(st.st_mode).value_or(NodeType::file);
  node.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  node.uid = static_cast<std::uint32_t>(st.st_uid);
  node.gid = static_cast<std::uint32_t>(st.st_gid);
  node.user = names.user(st.st_uid);
  node.group = names.group(st.st_gid);
  node.mtime_ns = timespec_ns(st.st_mtim);
  node.atime_ns = timespec_ns(st.st_atim);
  node.ctime_ns = timespec_ns(st.st_ctim);
  node.inode = static_cast<std::uint64_t>(st.st_ino);
  node.device_id = static_cast<std::uint64_t>(st.st_dev);
  node.links = static_cast<std::uint32_t>(st.st_nlink);
  node.size = 0;
  node.rdev = 0;
  if (node.type == NodeType::file) {
    node.size = static_cast<std::uint64_t>(st.st_size);
    // Fewer allocated blocks than bytes: the file has holes.
    node.sparse = static_cast<std::uint64_t>(st.st_blocks) * 512 < node.size;
  }
  if (node.type == NodeType::chardev || node.type == NodeType::blockdev)
    node.rdev = static_cast<std::uint64_t>(st.st_rdev);
}

std::optional<std::string> read_link_at(int dir_fd, const std::string& name,
                                        std::size_t size_hint) {
  std::string buf(std::max<std::size_t>(size_hint + 1, 256), '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    if (static_cast<std::size_t>(n) < buf.size()) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    // Possibly truncated: the link grew since lstat. Try a bigger buffer.
    if (buf.size() > (1u << 20)) {
      errno = ENAMETOOLONG;
      return std::nullopt;
    }
    buf.resize(buf.size() * 2);
  }
}

namespace {

// Lists and reads every attribute through `list(buf, size)` and
// `get(name, buf, size)`, so the path and the fd flavours share the retry
// logic for lists and values that grow between the two calls.
template <class List, class Get> XattrResult read_xattrs_with(List list, Get get) {
  XattrResult result;
  std::string names;
  for (;;) {
    ssize_t size = list(nullptr, 0);
    if (size < 0) {
      if (!xattrs_unsupported(errno)) result.error = errno;
      return result;
    }
    if (size == 0) return result;
    names.assign(static_cast<std::size_t>(size), '\0');
    size = list(names.data(), names.size());
    if (size >= 0) {
      names.resize(static_cast<std::size_t>(size));
      break;
    }
    if (errno != ERANGE) { // ERANGE: the list grew meanwhile; ask again
      if (!xattrs_unsupported(errno)) result.error = errno;
      return result;
    }
  }

  std::size_t pos = 0;
  while (pos < names.size()) {
    std::size_t end = names.find('\0', pos);
    if (end == std::string::npos) end = names.size();
    std::string name = names.substr(pos, end - pos);
    pos = end + 1;
    if (name.empty()) continue;
    std::string value;
    for (;;) {
      ssize_t size = get(name.c_str(), nullptr, 0);
      if (size >= 0) {
        value.assign(static_cast<std::size_t>(size), '\0');
        size = get(name.c_str(), value.data(), value.size());
      }
      if (size >= 0) {
        value.resize(static_cast<std::size_t>(size));
        result.xattrs.emplace_back(std::move(name), std::move(value));
        break;
      }
      if (errno == ERANGE) continue; // the value grew meanwhile
      // ENODATA: removed since listing; nothing to keep, nothing to report.
      if (errno != ENODATA && !xattrs_unsupported(errno) && result.error == 0) result.error = errno;
      break;
    }
  }
  std::sort(result.xattrs.begin(), result.xattrs.end());
  return result;
}

} // namespace

XattrResult read_xattrs(const std::string& path) {
  return read_xattrs_with(
      [&](char* buf, std::size_t size) { return ::llistxattr(path.c_str(), buf, size); },
      [&](const char* name, char* buf, std::size_t size) {
        return ::lgetxattr(path.c_str(), name, buf, size);
      });
}

XattrResult read_xattrs_fd(int fd) {
  return read_xattrs_with([&](char* buf, std::size_t size) { return ::flistxattr(fd, buf, size); },
                          [&](const char* name, char* buf, std::size_t size) {
                            return ::fgetxattr(fd, name, buf, size);
                          });
}

} // namespace offsite::core
