// Regular files: content, hardlinks and read-back verification.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/restore/restorer_impl.hpp"

namespace offsite::core::restore_detail {

void Restorer::restore_file(int dirfd, const Node& node, const std::string& path,
                            const std::vector<std::string>& rel) {
  const bool listed = follow_walk(node);
  if (!may_replace(dirfd, node, path)) return;
  if (m_options.dry_run) {
    ++m_result.files;
    m_result.bytes += node.size;
    m_progress.bytes_done += node.size;
    placed(path);
    return;
  }
  if (node.links > 1 && link_to_first(dirfd, node, path)) return;
  announce_ahead();

  util::Fd fd;
  const std::string tmp = m_temps.create(node.name, [&](const std::string& name) {
    // O_EXCL|O_NOFOLLOW: never opens anything that already exists, symlink
    // or not.
    const int f =
        ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0) return errno;
    fd = util::Fd(f);
    return 0;
  });
  TempEntry entry(dirfd, tmp);

  std::uint64_t offset = 0;
  std::vector<std::uint32_t> lengths;
  lengths.reserve(node.content.size());
  for (std::size_t i = 0; i < node.content.size(); ++i) {
    const BlobId& id = node.content[i];
    poll_cancel();
    if (i % k_announce_batch == k_announce_batch - 1) announce_ahead();
    // Within a large file too: blocks of the blobs written are behind.
    if (m_schedule && listed) m_schedule->advance(m_file_start + i);
    Bytes data;
    try {
      data = m_prefetch.take(id);
    } catch (const Error& e) {
      // Damage costs this file only: the temporary goes, nothing half
      // written stays, and the prefetcher drops this file's other blobs
      // when the next file asks for its first.
      if (!e.is_data_damage()) throw;
      damaged(path, e.what(), false);
      return;
    }
    if (node.sparse)
      write_sparse_at(fd.get(), data, offset);
    else
      write_all_at(fd.get(), data, offset);
    offset += data.size();
    lengths.push_back(static_cast<std::uint32_t>(data.size()));
    m_result.bytes += data.size();
    m_progress.bytes_done += data.size();
    report(path);
  }
  // Trailing holes of a sparse file exist only through the file size.
  if (node.sparse && ::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0)
    fail("cannot set the file size", errno);
  if (offset != node.size)
    warn(path, fmt::format("the snapshot records a size of {} bytes but holds {}; restored what "
                           "it holds",
                           node.size, offset));
  m_meta.apply_fd(fd.get(), node, path);
  if (m_options.verify) {
    // Push the data to the disk and drop it from the page cache, so the
    // read-back checks what the disk returns, not our own buffers.
    if (::fdatasync(fd.get()) != 0) fail("cannot flush the file to disk", errno);
    (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
  }
  fd = util::Fd();
  entry.commit(node.name);
  ++m_result.files;
  placed(path);

  const bool verified = m_options.verify && verify_file(dirfd, node, path, lengths);
  if (node.links > 1) {
    FirstLink first{rel, node.content, verified};
    first.rel.push_back(node.name);
    m_links.emplace(std::make_pair(node.device_id, node.inode), std::move(first));
  }
}

bool Restorer::link_to_first(int dirfd, const Node& node, const std::string& path) {
  const auto it = m_links.find({node.device_id, node.inode});
  // Same content too: a file rewritten between reading its two names would
  // otherwise get the other name's bytes.
  if (it == m_links.end() || it->second.content != node.content) return false;
  const auto& rel = it->second.rel;
  try {
    // Walk from the target to the first name's directory, never following
    // a symlink, so the link can only point at a file inside the target.
    util::Fd parent;
    int parent_fd = m_target.get();
    for (std::size_t i = 0; i + 1 < rel.size(); ++i) {
      util::Fd next = open_dir_at(parent_fd, rel[i]);
      parent = std::move(next);
      parent_fd = parent.get();
    }
    const std::string tmp = m_temps.create(node.name, [&](const std::string& name) {
      return ::linkat(parent_fd, rel.back().c_str(), dirfd, name.c_str(), 0) == 0 ? 0 : errno;
    });
    TempEntry entry(dirfd, tmp);
    entry.commit(node.name);
    // rename() between two names of one inode succeeds without doing
    // anything: the temporary name would stay behind.
    ::unlinkat(dirfd, tmp.c_str(), 0);
  } catch (const EntryFailure& failure) {
    warn(path, "restored as a separate copy, not a hardlink: " + failure.message);
    return false;
  }
  ++m_result.files;
  // One inode: the first name's read-back checked this name's bytes too
  // (a restore with hardlinks once reported "89 verified" of 90 files).
  if (it->second.verified) ++m_result.verified;
  m_progress.bytes_done += node.size;
  placed(path);
  return true;
}

namespace {

bool read_exactly(int fd, Bytes& buf, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n =
        ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

} // namespace

bool Restorer::verify_file(int dirfd, const Node& node, const std::string& path,
                           const std::vector<std::uint32_t>& lengths) {
  const auto differs = [&](const std::string& why) {
    if (m_verify_failures++ == 0) m_first_verify_failure = path;
    warn(path, "the restored file differs from the snapshot: " + why);
    return false;
  };
  const util::Fd fd(::openat(dirfd, node.name.c_str(),
                             O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) return differs(std::string("cannot open it: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return differs("it is no longer a regular file");

  // Blob IDs are keyed MACs of the plaintext: reading back in the blobs'
  // lengths and hashing each piece checks every byte against the snapshot.
  Bytes buf;
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    buf.resize(lengths[i]);
    if (!read_exactly(fd.get(), buf, offset))
      return differs(fmt::format("it is shorter than {} bytes or unreadable", offset + buf.size()));
    if (m_repo.codec().id_of(buf) != node.content[i])
      return differs(fmt::format("bytes {}..{} do not match", offset, offset + buf.size()));
    offset += buf.size();
  }
  std::uint8_t extra = 0;
  if (::pread(fd.get(), &extra, 1, static_cast<off_t>(offset)) != 0)
    return differs(fmt::format("it is longer than {} bytes", offset));
  ++m_result.verified;
  return true;
}

} // namespace offsite::core::restore_detail
