#include "core/dump/archive_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <exception>

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::core {

namespace {

la_ssize_t write_block(::archive*, void* client, const void* buffer, size_t length) {
  auto* context = static_cast<ArchiveWriter::WriteContext*>(client);
  try {
    context->sink->write(ByteView(static_cast<const std::uint8_t*>(buffer), length));
  } catch (...) {
    context->error = std::current_exception();
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

mode_t file_type_bits(NodeType type) {
  switch (type) {
  case NodeType::file: return AE_IFREG;
  case NodeType::dir: return AE_IFDIR;
  case NodeType::symlink: return AE_IFLNK;
  case NodeType::fifo: return AE_IFIFO;
  case NodeType::chardev: return AE_IFCHR;
  case NodeType::blockdev: return AE_IFBLK;
  case NodeType::socket: return AE_IFSOCK;
  }
  return AE_IFREG;
}

void set_time(::archive_entry* entry, std::int64_t ns,
              void (*setter)(::archive_entry*, time_t, long)) {
  std::int64_t seconds = ns / 1'000'000'000;
  std::int64_t rest = ns % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --seconds;
  }
  setter(entry, static_cast<time_t>(seconds), static_cast<long>(rest));
}

} // namespace

ArchiveWriter::ArchiveWriter(ArchiveFormat format, ByteSink& sink)
    : m_format(format), m_context(std::make_unique<WriteContext>(WriteContext{&sink, nullptr})),
      m_archive(archive_write_new()) {
  if (!m_archive) throw Error(Code::generic, "cannot start an archive: out of memory");
  // Full pax, not "restricted": nanosecond times and xattrs go into every
  // entry's extended header, as the restore of a tree needs them.
  const int rc = format == ArchiveFormat::tar ? archive_write_set_format_pax(m_archive)
                                              : archive_write_set_format_zip(m_archive);
  if (rc != ARCHIVE_OK) fail("cannot choose the archive format");
  // Blocks as they fill, and no padding of the last block beyond the
  // format's own: the consumer is a pipe, not a tape.
  if (format == ArchiveFormat::tar) archive_write_set_bytes_in_last_block(m_archive, 1);
  if (archive_write_open2(m_archive, m_context.get(), nullptr, write_block, nullptr, nullptr) !=
      ARCHIVE_OK)
    fail("cannot start the archive");
}

ArchiveWriter::~ArchiveWriter() {
  // Without finish() the stream stays cut short on purpose; free() would
  // write the trailer, so it is only called after close (or on the error
  // path, where the sink fails anyway).
  if (!m_finished) archive_write_fail(m_archive);
  archive_write_free(m_archive);
}

void ArchiveWriter::fail(const std::string& what) {
  // The sink's own error (a closed pipe, a full disk) says more than ours.
  if (m_context->error) std::rethrow_exception(m_context->error);
  const char* detail = archive_error_string(m_archive);
  throw Error(Code::generic, fmt::format("{}: {}", what, detail ? detail : "unknown error"));
}

void ArchiveWriter::begin(const std::string& path, const Node& node,
                          const std::string& hardlink_to) {
  std::unique_ptr<::archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        archive_entry_free);
  ::archive_entry* e = entry.get();
  // Raw bytes: names are not re-encoded (pax writes a non-UTF-8 name as it
  // is, flagged as binary).
  archive_entry_copy_pathname(e, path.c_str());
  archive_entry_set_filetype(e, file_type_bits(node.type));
  archive_entry_set_perm(e, static_cast<mode_t>(node.mode & 07777));
  archive_entry_set_uid(e, node.uid);
  archive_entry_set_gid(e, node.gid);
  if (!node.user.empty()) archive_entry_copy_uname(e, node.user.c_str());
  if (!node.group.empty()) archive_entry_copy_gname(e, node.group.c_str());
  set_time(e, node.mtime_ns, archive_entry_set_mtime);
  set_time(e, node.atime_ns, archive_entry_set_atime);
  if (node.type == NodeType::file && hardlink_to.empty())
    archive_entry_set_size(e, static_cast<la_int64_t>(node.size));
  else
    archive_entry_set_size(e, 0);
  if (!hardlink_to.empty()) archive_entry_copy_hardlink(e, hardlink_to.c_str());
  if (node.type == NodeType::symlink) archive_entry_copy_symlink(e, node.link_target.c_str());
  if (node.type == NodeType::chardev || node.type == NodeType::blockdev)
    archive_entry_set_rdev(e, static_cast<dev_t>(node.rdev));
  if (m_format == ArchiveFormat::tar)
    for (const auto& [name, value] : node.xattrs)
      archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
  if (archive_write_header(m_archive, e) < ARCHIVE_WARN)
    fail(fmt::format("cannot write the archive entry for {}", path));
}

void ArchiveWriter::data(ByteView bytes) {
  while (!bytes.empty()) {
    const la_ssize_t n = archive_write_data(m_archive, bytes.data(), bytes.size());
    if (n <= 0) fail("cannot write to the archive");
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

void ArchiveWriter::finish() {
  if (archive_write_close(m_archive) != ARCHIVE_OK) fail("cannot finish the archive");
  m_finished = true;
}

} // namespace offsite::core
