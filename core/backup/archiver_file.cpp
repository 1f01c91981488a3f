// File content: reuse from the files cache or the parent snapshot when the
// file is unchanged, otherwise read, chunk on this thread and hand chunks to
// the pipeline. The read buffer is reused for every file, so memory does not
// grow with file size: one buffer plus the pipeline's in-flight budget.

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/backup/archiver_impl.hpp"
#include "core/common/error.hpp"

namespace offsite::core::archiver_detail {

namespace {

struct StatKey {
  std::uint64_t size;
  std::int64_t mtime_ns;
  std::int64_t ctime_ns;
  std::uint64_t inode;
  bool operator==(const StatKey&) const = default;
};

StatKey key_of(const Node& n) { return {n.size, n.mtime_ns, n.ctime_ns, n.inode}; }
StatKey key_of(const FilesCacheEntry& e) { return {e.size, e.mtime_ns, e.ctime_ns, e.inode}; }

bool same_times(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

constexpr int k_input_poll_ms = 200;

// Waits until `fd` has data, reached its end or failed, asking `reporter`
// between polls: a producer that sends nothing for minutes (a dump that
// pauses, a pipe left open) must not hold off Ctrl-C. A signal also ends the
// poll at once (EINTR). Throws Cancelled.
void wait_for_input(int fd, BackupReporter& reporter) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, k_input_poll_ms);
    if (reporter.cancelled()) throw Cancelled{};
    if (n > 0 || (n < 0 && errno != EINTR)) return; // read() tells what it is
  }
}

} // namespace

bool Archiver::all_blobs_present(const std::vector<BlobId>& ids) const {
  return std::all_of(ids.begin(), ids.end(), [&](const BlobId& id) { return m_repo.has_blob(id); });
}

void Archiver::back_up_file(int dir_fd, const std::string& path, Node node, DirState& into) {
  // Unchanged means same size, mtime, ctime and inode, and every content
  // blob still in the repository (a prune may have removed some).
  bool known = false; // the file existed in the last backup
  bool same = false;  // ...with the same metadata
  std::optional<std::vector<BlobId>> reuse;
  // It had no extended attributes when the cache last read them without
  // error, and its ctime, which setting one changes, is the same.
  bool known_without_xattrs = false;
  if (m_cache) {
    if (auto e = m_cache->find(path)) {
      known = true;
      if (key_of(*e) == key_of(node)) {
        same = true;
        if (all_blobs_present(e->content)) reuse = std::move(e->content);
        known_without_xattrs = e->no_xattrs;
      }
    }
  }
  // The parent snapshot is asked only when the cache could not answer.
  const Node* previous = reuse ? nullptr : previous_node(into, node.name);
  if (previous && previous->type == NodeType::file) {
    known = true;
    if (key_of(*previous) == key_of(node)) {
      same = true;
      // Not its xattrs: a node cannot tell "none" from "could not be read".
      if (all_blobs_present(previous->content)) reuse = previous->content;
    }
  }

  if (m_options.reread) reuse.reset(); // still counted as unmodified when `same`
  if (reuse) {
    node.content = std::move(*reuse);
    const bool xattrs_read = known_without_xattrs || add_xattrs(node, path, -1);
    ++m_summary.files_unmodified;
    m_summary.bytes_processed += node.size;
    if (m_cache && !m_options.dry_run)
      m_cache->record(path, FilesCacheEntry{node.size, node.mtime_ns, node.ctime_ns, node.inode,
                                            node.content, xattrs_read && node.xattrs.empty()});
    ++m_progress.files_done;
    m_progress.bytes_done += node.size;
    into.nodes.push_back(std::move(node));
    report_progress(path);
    return;
  }

  // O_NONBLOCK: if a FIFO was swapped in since lstat, open must not hang
  // (regular files ignore the flag). O_NOATIME keeps the backup from
  // touching atimes; only the owner (or root) may ask for it.
  const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  Fd fd(::openat(dir_fd, node.name.c_str(), flags | O_NOATIME));
  if (!fd.valid() && errno == EPERM) fd = Fd(::openat(dir_fd, node.name.c_str(), flags));
  if (!fd.valid()) {
    const int err = errno;
    warn(path,
         err == ENOENT ? "vanished before it could be read"
                       : std::string("cannot open: ") + std::strerror(err),
         true);
    return;
  }
  struct stat before {};
  if (::fstat(fd.get(), &before) != 0) {
    warn(path, std::string("cannot stat: ") + std::strerror(errno), true);
    return;
  }
  if (!S_ISREG(before.st_mode)) {
    warn(path, "was replaced by something that is not a file while being backed up; skipped", true);
    return;
  }
  fill_metadata(node, before, m_names);
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  ++m_result.files_content_read;
  auto slots = std::make_shared<ContentSlots>();
  auto size = read_and_chunk(fd.get(), slots, path);
  if (!size) {
    warn(path, std::string("cannot read: ") + std::strerror(errno), true);
    return;
  }
  struct stat after {};
  const bool changed = ::fstat(fd.get(), &after) != 0 || after.st_size != before.st_size ||
                       !same_times(after.st_mtim, before.st_mtim) ||
                       !same_times(after.st_ctim, before.st_ctim) ||
                       *size != static_cast<std::uint64_t>(before.st_size);
  if (changed)
    warn(path, "file changed while being read; the backup holds a mix of old and new content",
         false);
  node.size = *size;
  const bool xattrs_read = add_xattrs(node, path, fd.get());
  fd.reset();

  if (same)
    ++m_summary.files_unmodified;
  else if (known)
    ++m_summary.files_changed;
  else
    ++m_summary.files_new;
  m_summary.bytes_processed += *size;
  ++m_progress.files_done;

  PendingFile pending;
  pending.index = into.nodes.size();
  pending.slots = std::move(slots);
  // A file that changed under us is read again next time.
  pending.record_in_cache = m_cache && !m_options.dry_run && !changed;
  pending.path = path;
  pending.cache_entry = FilesCacheEntry{
      static_cast<std::uint64_t>(before.st_size), node.mtime_ns, node.ctime_ns, node.inode, {},
      xattrs_read && node.xattrs.empty()};
  into.nodes.push_back(std::move(node));
  into.pending.push_back(std::move(pending));
  report_progress(path);
}

std::optional<std::uint64_t> Archiver::read_and_chunk(int fd,
                                                      const std::shared_ptr<ContentSlots>& slots,
                                                      const std::string& path, bool wait) {
  const Chunker& chunker = m_repo.chunker();
  std::size_t fill = 0; // valid bytes in m_buffer
  std::size_t pos = 0;  // start of the bytes not yet cut into chunks
  bool eof = false;
  std::uint64_t total = 0;
  for (;;) {
    if (!eof) {
      // The buffer holds at least two maximum chunks, so after compaction
      // there is always room: a full buffer always yields a cut.
      if (wait) wait_for_input(fd, m_reporter);
      ssize_t n = ::read(fd, m_buffer.data() + fill, m_buffer.size() - fill);
      if (n < 0) {
        if (errno == EINTR || (wait && errno == EAGAIN)) continue;
        return std::nullopt;
      }
      if (n == 0) {
        eof = true;
      } else {
        const auto got = static_cast<std::size_t>(n);
        fill += got;
        total += got;
        m_summary.bytes_read += got;
        m_progress.bytes_done += got;
      }
    }
    while (pos < fill) {
      ByteView view(m_buffer.data() + pos, fill - pos);
      const std::size_t len = chunker.next_boundary(view, eof);
      if (len == 0) break; // needs more bytes
      poll_cancel();
      m_pipeline->submit(slots,
                         Bytes(view.begin(), view.begin() + static_cast<std::ptrdiff_t>(len)));
      pos += len;
    }
    if (eof && pos == fill) return total;
    if (pos > 0) {
      std::memmove(m_buffer.data(), m_buffer.data() + pos, fill - pos);
      fill -= pos;
      pos = 0;
    }
    report_progress(path);
  }
}

} // namespace offsite::core::archiver_detail
