#include "core/store/local_store.hpp"

// Durability and atomicity on a POSIX filesystem, with several threads and
// several processes (two offsited on one directory) writing at once:
//
//   put:  mkstemp("tmp/put-XXXXXX")  unique across processes, same filesystem
//         write + fsync              the bytes are on disk before they have a name
//         mkdir -p parent + fsync    new directories survive a power loss
//         link(tmp, final)           atomic create-only: EEXIST -> false
//         unlink(tmp), fsync(parent) the new name is durable
//
// A reader never sees a partial object: the final name only ever points at a
// complete, fsynced file. A crash leaves at most a stray file in tmp/, which
// the constructor sweeps once it is old enough that no live writer can own it.
// Objects are never modified after creation, so get/head need no locking.
//
// A put that throws leaves nothing visible: when the directory fsync after
// the link fails, the name is unlinked again before the error is thrown (the
// entry may not survive a power loss, and a caller told "failed" must be able
// to retry without meeting "already exists"). One race remains: a second put
// of the same key that meets EEXIST in that instant returns false ("exists")
// for an object that then goes. Only two writers of one key at once (a resent
// put racing its original across the pair) can meet it; check reports it.
//
// Test-only hooks (README): StorageFaults fails chosen calls, and
// crash points kill the process before and after the file fsync and around
// the link (the "rename" that names the object).

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "core/common/crash_point.hpp"
#include "core/common/error.hpp"
#include "core/store/storage_faults.hpp"
#include "util/fd.hpp"
#include "util/fsync_directory.hpp"

namespace offsite::core {

namespace {

constexpr std::string_view k_tmp_dir = "tmp";
// A writer holds its temporary file for seconds; a day is safely stale.
constexpr auto k_stale_tmp_age = std::chrono::hours(24);

// The store's system calls, each failing with the errno a test injected
// (storage_faults.hpp) before it runs. -1 and errno, as the calls themselves.
int fail_with(int error) {
  errno = error;
  return -1;
}
int store_mkdir(StorageFaults& faults, const char* path) {
  if (const int e = faults.inject(StorageOp::mkdir)) return fail_with(e);
  return ::mkdir(path, 0700);
}
int store_fsync(StorageFaults& faults, int fd) {
  if (const int e = faults.inject(StorageOp::fsync)) return fail_with(e);
  return ::fsync(fd);
}
int store_link(StorageFaults& faults, const char* from, const char* to) {
  if (const int e = faults.inject(StorageOp::rename)) return fail_with(e);
  return ::link(from, to);
}
int store_mkstemp(StorageFaults& faults, std::string& path_template) {
  if (const int e = faults.inject(StorageOp::open)) return fail_with(e);
  return ::mkstemp(path_template.data());
}
ssize_t store_write(StorageFaults& faults, int fd, const std::uint8_t* data, std::size_t size) {
  if (const int e = faults.inject(StorageOp::write)) return fail_with(e);
  return ::write(fd, data, size);
}

// Makes the entries of `dir` durable; throws Error (no_space or generic).
void sync_directory(StorageFaults& faults, const std::filesystem::path& dir) {
  int error = faults.inject(StorageOp::dirsync);
  if (error == 0) error = util::fsync_directory(dir.c_str());
  if (error != 0) throw_errno(fmt::format("cannot sync directory {}", dir.string()), error);
}

// mkdir -p for the directories between `root` and `dir`, syncing the parent
// of each directory we create. Another process may create the same directory
// at the same moment: EEXIST is success.
void make_dirs(StorageFaults& faults, const std::filesystem::path& root,
               const std::filesystem::path& dir) {
  if (dir == root) return;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    throw Error(Code::generic, fmt::format("{} exists and is not a directory", dir.string()),
                "remove the stray file from the storage directory");
  }
  make_dirs(faults, root, dir.parent_path());
  if (store_mkdir(faults, dir.c_str()) != 0) {
    if (errno == EEXIST) return;
    throw_errno(fmt::format("cannot create directory {}", dir.string()), errno);
  }
  sync_directory(faults, dir.parent_path());
}

// At most 1 MiB per write(): on the ext4 of our machines one 16 MiB write()
// into a new file took ~55 ms and the same bytes in 1 MiB pieces ~5 ms (2 MiB
// pieces were already slow), and a pack upload waits for this write.
constexpr std::size_t k_write_piece = std::size_t{1} << 20;

void write_all(StorageFaults& faults, int fd, ByteView data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const std::size_t piece = std::min(data.size() - done, k_write_piece);
    const ssize_t n = store_write(faults, fd, data.data() + done, piece);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(fmt::format("cannot write {}", path.string()), errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string invalid_key_message(std::string_view key) {
  return fmt::format("invalid object key \"{}\"", util::printable(key, k_key_in_messages));
}

struct DirEntry {
  std::string sort_key; // name, plus '/' for a directory (see walk())
  std::string name;
  bool is_dir;
};

struct ListState {
  std::string_view prefix;
  std::string_view start_after;
  std::size_t want; // limit + 1, to learn whether the page is truncated
  std::vector<ObjectInfo> out;
};

std::vector<DirEntry> read_dir(const std::filesystem::path& dir) {
  std::vector<DirEntry> entries;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return entries;
    throw_errno(fmt::format("cannot list {}", dir.string()), errno);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (!is_valid_key(name)) // also skips "." and ".."
      continue;
    bool is_dir = e->d_type == DT_DIR;
    bool is_file = e->d_type == DT_REG;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      is_dir = S_ISDIR(st.st_mode);
      is_file = S_ISREG(st.st_mode);
    }
    if (!is_dir && !is_file) continue; // symlinks and devices are never objects
    entries.push_back({is_dir ? name + "/" : name, std::move(name), is_dir});
  }
  ::closedir(d);
  return entries;
}

// Depth-first walk in key order. Sorting siblings by name + '/' for
// directories makes the walk produce keys in exactly the order std::string
// compares them ("a-b" < "a/x" < "a0"), so a page can stop early and whole
// subtrees before `start_after` or outside `prefix` are skipped.
// Returns true once `want` keys are collected.
bool walk(const std::filesystem::path& root, const std::string& rel, ListState& st) {
  std::vector<DirEntry> entries = read_dir(rel.empty() ? root : root / rel);
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.sort_key < b.sort_key; });
  for (const DirEntry& e : entries) {
    const std::string key = rel + e.sort_key;
    if (e.is_dir) {
      if (rel.empty() && e.name == k_tmp_dir) continue;
      // Every key below starts with `key`.
      if (!key.starts_with(st.prefix) && !st.prefix.starts_with(key)) continue;
      if (st.start_after > key && !st.start_after.starts_with(key)) continue;
      if (walk(root, key, st)) return true;
    } else {
      if (!key.starts_with(st.prefix) || key <= st.start_after) continue;
      struct stat s {};
      if (::stat((root / key).c_str(), &s) != 0) continue; // removed meanwhile
      st.out.push_back({key, static_cast<std::uint64_t>(s.st_size)});
      if (st.out.size() >= st.want) return true;
    }
  }
  return false;
}

} // namespace

LocalStore::LocalStore(std::filesystem::path root, StorageFaults& faults)
    : m_root(std::move(root)), m_faults(&faults) {
  std::error_code ec;
  std::filesystem::create_directories(m_root / k_tmp_dir, ec);
  if (ec)
    throw Error(
        Code::generic,
        fmt::format("cannot create storage directory {}: {}", m_root.string(), ec.message()),
        "check the path and its permissions");
  // Sweep temporary files of writers that crashed long ago.
  const auto now = std::filesystem::file_time_type::clock::now();
  for (auto it = std::filesystem::directory_iterator(m_root / k_tmp_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    const auto mtime = it->last_write_time(ec2);
    if (!ec2 && now - mtime > k_stale_tmp_age) std::filesystem::remove(it->path(), ec2);
  }
}

std::filesystem::path LocalStore::path_of(std::string_view key) const {
  // Validation is what keeps a key inside the root: no "..", no absolute
  // paths, no empty segments. tmp/ at the top is ours.
  if (!is_valid_key(key) || key == k_tmp_dir || key.starts_with("tmp/"))
    throw Error(Code::usage, invalid_key_message(key),
                "keys are '/'-separated names of [A-Za-z0-9._-]");
  return m_root / std::string(key);
}

bool LocalStore::put(std::string_view key, ByteView data) {
  const std::filesystem::path final_path = path_of(key);
  std::string tmp = (m_root / k_tmp_dir / "put-XXXXXX").string();
  int raw_fd = store_mkstemp(*m_faults, tmp);
  if (raw_fd < 0 && errno == ENOENT) { // someone removed tmp/; recreate it once
    make_dirs(*m_faults, m_root, m_root / k_tmp_dir);
    tmp = (m_root / k_tmp_dir / "put-XXXXXX").string();
    raw_fd = store_mkstemp(*m_faults, tmp);
  }
  if (raw_fd < 0) throw_errno(fmt::format("cannot create a file in {}", m_root.string()), errno);
  util::Fd fd(raw_fd);
  // From here on, any failure must remove the temporary file.
  struct TmpGuard {
    const std::string& path;
    bool armed = true;
    ~TmpGuard() {
      if (armed) ::unlink(path.c_str());
    }
  } guard{tmp};

  write_all(*m_faults, fd.get(), data, final_path);
  crash_point("store-put-before-fsync");
  if (store_fsync(*m_faults, fd.get()) != 0)
    throw_errno(fmt::format("cannot sync {}", final_path.string()), errno);
  crash_point("store-put-after-fsync");
  if (::close(fd.release()) != 0)
    throw_errno(fmt::format("cannot write {}", final_path.string()), errno);

  const std::filesystem::path parent = final_path.parent_path();
  make_dirs(*m_faults, m_root, parent);
  crash_point("store-put-before-rename");
  if (store_link(*m_faults, tmp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    if (err == EEXIST) {
      struct stat st {};
      if (::lstat(final_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw Error(Code::usage, invalid_key_message(key) + " names a directory of other keys");
      return false;
    }
    throw_errno(fmt::format("cannot create {}", final_path.string()), err);
  }
  crash_point("store-put-after-rename");
  try {
    sync_directory(*m_faults, parent);
  } catch (...) {
    // Not durable, so not stored: take the name back before saying so.
    ::unlink(final_path.c_str());
    (void)util::fsync_directory(parent.c_str());
    throw;
  }
  return true; // the guard unlinks the temporary name
}

std::optional<Bytes> LocalStore::get(std::string_view key, std::uint64_t offset,
                                     std::optional<std::uint64_t> length) {
  const std::filesystem::path path = path_of(key);
  util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno(fmt::format("cannot open {}", path.string()), errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(fmt::format("cannot stat {}", path.string()), errno);
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (offset >= size) return Bytes{};
  std::uint64_t want = size - offset;
  if (length && *length < want) want = *length;
  Bytes out(static_cast<std::size_t>(want));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(fmt::format("cannot read {}", path.string()), errno);
    }
    if (n == 0) break; // objects are immutable, but never trust a racing truncate
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

std::optional<std::uint64_t> LocalStore::head(std::string_view key) {
  const std::filesystem::path path = path_of(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno(fmt::format("cannot stat {}", path.string()), errno);
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

ListPage LocalStore::list(std::string_view prefix, std::string_view start_after,
                          std::size_t limit) {
  ListPage page;
  if (limit == 0) return page;
  // Walk only below the directory part of the prefix. If that part is not a
  // valid key, no valid key can start with the prefix at all.
  const std::size_t slash = prefix.rfind('/');
  std::string rel;
  if (slash != std::string_view::npos) {
    const std::string_view dir = prefix.substr(0, slash);
    if (!is_valid_key(dir) || dir == k_tmp_dir || dir.starts_with("tmp/")) return page;
    rel = std::string(prefix.substr(0, slash + 1));
  }
  const std::size_t want = limit == SIZE_MAX ? limit : limit + 1;
  ListState st{prefix, start_after, want, {}};
  walk(m_root, rel, st);
  if (st.out.size() > limit) {
    st.out.resize(limit);
    page.truncated = true;
  }
  page.objects = std::move(st.out);
  return page;
}

bool LocalStore::remove(std::string_view key) {
  const std::filesystem::path path = path_of(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return false;
    throw_errno(fmt::format("cannot remove {}", path.string()), errno);
  }
  sync_directory(*m_faults, path.parent_path());
  return true;
}

} // namespace offsite::core
