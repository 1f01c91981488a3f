#define FUSE_USE_VERSION 31
#include "cli/mount/fuse_adapter.hpp"

#include <fuse.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/ui/interrupt.hpp"
#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

using core::NodeType;
using core::mount::FsEntry;

struct State {
  core::mount::SnapshotFs& fs;
  const FuseMountOptions& options;
  std::set<std::string> warned; // each damaged path is named once
};

State& state() { return *static_cast<State*>(fuse_get_context()->private_data); }

// Damage and missing blobs are EIO, named once on stderr; the request that
// met them fails, the mount goes on.
int damaged(const char* path, const std::exception& e) {
  auto& s = state();
  if (s.warned.insert(path).second && s.options.on_damage) s.options.on_damage(path, e.what());
  return -EIO;
}

template <class Fn> int guarded(const char* path, Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return -ENOMEM;
  } catch (const std::exception& e) {
    return damaged(path, e);
  }
}

mode_t type_bits(NodeType type) {
  switch (type) {
  case NodeType::file: return S_IFREG;
  case NodeType::dir: return S_IFDIR;
  case NodeType::symlink: return S_IFLNK;
  case NodeType::fifo: return S_IFIFO;
  case NodeType::chardev: return S_IFCHR;
  case NodeType::blockdev: return S_IFBLK;
  case NodeType::socket: return S_IFSOCK;
  }
  return S_IFREG;
}

timespec time_of(std::int64_t ns) {
  timespec t{};
  t.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  t.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (t.tv_nsec < 0) {
    t.tv_nsec += 1'000'000'000;
    --t.tv_sec;
  }
  return t;
}

void fill_stat(const FsEntry& entry, struct stat* st) {
  const core::Node& node = entry.node;
  *st = {};
  st->st_ino = static_cast<ino_t>(entry.ino);
  st->st_mode = type_bits(node.type) | static_cast<mode_t>(node.mode & 07777);
  st->st_nlink = node.type == NodeType::dir ? 2 : std::max<nlink_t>(1, node.links);
  st->st_uid = node.uid;
  st->st_gid = node.gid;
  st->st_size =
      static_cast<off_t>(node.type == NodeType::symlink ? node.link_target.size() : node.size);
  st->st_blocks = static_cast<blkcnt_t>((node.size + 511) / 512);
  st->st_blksize = 4096;
  st->st_rdev = static_cast<dev_t>(node.rdev);
  st->st_mtim = time_of(node.mtime_ns);
  st->st_atim = time_of(node.atime_ns);
  st->st_ctim = time_of(node.ctime_ns);
}

void* on_init(fuse_conn_info*, fuse_config* config) {
  // Snapshots never change: the kernel may keep what it has read.
  config->kernel_cache = 1;
  config->use_ino = 1; // FsEntry::ino: hardlinks show as such
  config->entry_timeout = 60;
  config->attr_timeout = 60;
  config->negative_timeout = 60;
  return fuse_get_context()->private_data;
}

int on_getattr(const char* path, struct stat* st, fuse_file_info*) {
  return guarded(path, [&] {
    const auto entry = state().fs.lookup(path);
    if (!entry) return -ENOENT;
    fill_stat(*entry, st);
    return 0;
  });
}

int on_readlink(const char* path, char* buffer, size_t size) {
  return guarded(path, [&] {
    const auto entry = state().fs.lookup(path);
    if (!entry) return -ENOENT;
    if (entry->node.type != NodeType::symlink) return -EINVAL;
    if (size == 0) return -EINVAL;
    const auto& target = entry->node.link_target;
    const std::size_t n = std::min(size - 1, target.size());
    std::memcpy(buffer, target.data(), n);
    buffer[n] = '\0';
    return 0;
  });
}

int on_open(const char* path, fuse_file_info* info) {
  if ((info->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
  return guarded(path, [&] {
    auto entry = state().fs.lookup(path);
    if (!entry) return -ENOENT;
    if (entry->node.type == NodeType::dir) return -EISDIR;
    info->fh = reinterpret_cast<std::uint64_t>(new FsEntry(std::move(*entry)));
    info->keep_cache = 1;
    return 0;
  });
}

int on_read(const char* path, char* buffer, size_t size, off_t offset, fuse_file_info* info) {
  if (offset < 0) return -EINVAL;
  return guarded(path, [&] {
    const auto* entry = reinterpret_cast<const FsEntry*>(info->fh);
    const auto n =
        state().fs.read(*entry, static_cast<std::uint64_t>(offset),
                        std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buffer), size));
    return static_cast<int>(n);
  });
}

int on_release(const char*, fuse_file_info* info) {
  delete reinterpret_cast<FsEntry*>(info->fh);
  return 0;
}

int on_readdir(const char* path, void* buffer, fuse_fill_dir_t fill, off_t, fuse_file_info*,
               fuse_readdir_flags) {
  return guarded(path, [&] {
    auto& fs = state().fs;
    const auto dir = fs.lookup(path);
    if (!dir) return -ENOENT;
    if (dir->node.type != NodeType::dir) return -ENOTDIR;
    fill(buffer, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    fill(buffer, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    for (const auto& entry : fs.list(*dir)) {
      struct stat st {};
      fill_stat(entry, &st);
      if (fill(buffer, entry.node.name.c_str(), &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0)
        break;
    }
    return 0;
  });
}

int on_getxattr(const char* path, const char* name, char* value, size_t size) {
  return guarded(path, [&] {
    const auto entry = state().fs.lookup(path);
    if (!entry) return -ENOENT;
    for (const auto& [key, data] : entry->node.xattrs) {
      if (key != name) continue;
      if (size == 0) return static_cast<int>(data.size());
      if (size < data.size()) return -ERANGE;
      std::copy(data.begin(), data.end(), value); // raw bytes, no NUL
      return static_cast<int>(data.size());
    }
    return -ENODATA;
  });
}

int on_listxattr(const char* path, char* list, size_t size) {
  return guarded(path, [&] {
    const auto entry = state().fs.lookup(path);
    if (!entry) return -ENOENT;
    std::string names;
    for (const auto& [key, data] : entry->node.xattrs) {
      names += key;
      names += '\0';
    }
    if (size == 0) return static_cast<int>(names.size());
    if (size < names.size()) return -ERANGE;
    std::copy(names.begin(), names.end(), list); // NUL-separated names
    return static_cast<int>(names.size());
  });
}

extern "C" void on_wake(int) {} // only interrupts the loop's read of /dev/fuse

struct FuseDeleter {
  void operator()(fuse* f) const { fuse_destroy(f); }
};

} // namespace

void serve_fuse(core::mount::SnapshotFs& fs, const FuseMountOptions& options) {
  fuse_operations ops{};
  ops.init = on_init;
  ops.getattr = on_getattr;
  ops.readlink = on_readlink;
  ops.open = on_open;
  ops.read = on_read;
  ops.release = on_release;
  ops.readdir = on_readdir;
  ops.getxattr = on_getxattr;
  ops.listxattr = on_listxattr;

  State state{fs, options, {}};
  std::vector<std::string> words{"offsite", "-o", "ro,fsname=offsite,subtype=offsite"};
  std::vector<char*> argv;
  argv.reserve(words.size());
  for (auto& word : words)
    argv.push_back(word.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  std::unique_ptr<fuse, FuseDeleter> session(fuse_new(&args, &ops, sizeof ops, &state));
  fuse_opt_free_args(&args);
  if (!session) throw Error(Code::generic, "cannot start the FUSE file system");
  if (fuse_mount(session.get(), options.mountpoint.c_str()) != 0)
    throw Error(Code::generic, fmt::format("cannot mount on {}", options.mountpoint),
                "check that the directory exists, is empty, is not mounted already, and that "
                "fusermount3 (Debian package fuse3) is installed and /dev/fuse is usable");

  // Ctrl-C and SIGTERM only set cli/ui/interrupt's flag (its handlers are in
  // place); this watcher ends the loop then, waking its read of /dev/fuse
  // with a signal whose handler does nothing (no SA_RESTART).
  struct sigaction wake {};
  wake.sa_handler = on_wake;
  sigemptyset(&wake.sa_mask);
  struct sigaction previous {};
  sigaction(SIGUSR2, &wake, &previous);
  const pthread_t loop_thread = pthread_self();
  std::atomic<bool> done{false};
  fuse_session* se = fuse_get_session(session.get());
  std::thread watcher([&] {
    while (!done.load()) {
      if (interrupted()) {
        fuse_session_exit(se);
        pthread_kill(loop_thread, SIGUSR2);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  if (options.on_mounted) options.on_mounted();
  const int status = fuse_loop(session.get());
  done.store(true);
  watcher.join();
  fuse_unmount(session.get());
  sigaction(SIGUSR2, &previous, nullptr);
  if (status < 0 && !interrupted())
    throw Error(Code::generic, fmt::format("the FUSE session on {} failed: {}", options.mountpoint,
                                           std::strerror(-status)));
}

} // namespace offsite::cli
