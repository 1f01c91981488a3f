#pragma once
// A tar (POSIX pax) or zip stream of snapshot entries, written through
// libarchive as the entries come: no seeking, so stdout may be a pipe.
// Why libarchive: pax extended headers (long and non-UTF-8 names, large
// files, nanosecond times, xattrs) and streaming zip (data descriptors,
// deflate, zip64) are formats where a hand-written writer gets the corner
// cases wrong.

#include <exception>
#include <memory>
#include <string>

#include "core/dump/archive_sink.hpp"
#include "core/format/tree.hpp"

struct archive;

namespace offsite::core {

enum class ArchiveFormat { tar, zip };

class ArchiveWriter {
public:
  ArchiveWriter(ArchiveFormat format, ByteSink& sink);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Starts an entry at `path` (relative, '/'-separated, no leading '/') with
  // the node's metadata. For a file, its node.size bytes follow through
  // data(); `hardlink_to` makes it a hardlink to an earlier entry instead.
  void begin(const std::string& path, const Node& node, const std::string& hardlink_to = {});
  void data(ByteView bytes);
  // Ends the archive (trailer / central directory). Without it, the
  // stream is cut short, which every reader reports.
  void finish();

  // libarchive calls back with each block; an exception must not cross its
  // C frames, so it is kept here and rethrown once libarchive has returned.
  struct WriteContext {
    ByteSink* sink = nullptr;
    std::exception_ptr error;
  };

private:
  [[noreturn]] void fail(const std::string& what);
  ArchiveFormat m_format;
  std::unique_ptr<WriteContext> m_context;
  ::archive* m_archive = nullptr;
  bool m_finished = false;
};

} // namespace offsite::core
