#pragma once
// `offsite copy`: a snapshot's files and trees from one repository into
// another (a disk at home into the account, or back).
//
// Why file contents are cut again: blob IDs are keyed hashes and chunk
// boundaries come from a per-repository secret (chunker.hpp), so a blob of
// the source means nothing to the destination. Each file's bytes are
// streamed from the source and chunked and hashed exactly as a backup into
// the destination would: what the destination already holds is not stored
// again, and later backups deduplicate against the copy. Trees are rewritten
// bottom-up with the new content and subtree IDs; every other field of a
// node (names as raw bytes, metadata, xattrs) is kept as it is.
//
// Within one SnapshotCopier, a source tree or file content seen before is
// not read again: copying a series of snapshots reads each version of the
// data once.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/crypto/crypto.hpp"
#include "core/format/blob.hpp"
#include "core/format/tree.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

class BlobPrefetcher;
class ChunkPipeline;
struct ContentSlots;

struct CopyProgress {
  std::uint64_t files = 0;      // files whose content was read
  std::uint64_t bytes_read = 0; // plaintext streamed from the source
  std::string path;             // the file being copied (raw bytes)
};

class CopyReporter {
public:
  virtual ~CopyReporter() = default;
  // Called between chunks; `progress` stays valid only during the call.
  virtual void progress(const CopyProgress& progress) { (void)progress; }
  // Polled between chunks: true stops the copy with Error(interrupted).
  virtual bool cancelled() { return false; }
};

// The snapshot a copy saves: `source` as it is, on the copied `tree`, its
// "original" naming the snapshot backup first saved (copies of copies and
// retagged copies all name the same one), and its parent the destination's
// copy of the source's parent when there is one (else none).
Snapshot copied_snapshot(const Snapshot& source, const BlobId& tree,
                         const std::vector<Snapshot>& source_snapshots,
                         const std::vector<Snapshot>& destination);

// Whether `destination` already holds a copy of `source` (or `source`
// itself, copied back): by original_of, so a copy retagged since is found.
bool has_copy_of(const Snapshot& source, const std::vector<Snapshot>& destination);

class SnapshotCopier {
public:
  // `threads` hash and seal chunks for the destination (0: one per core).
  SnapshotCopier(Repository& from, Repository& to, CopyReporter& reporter, unsigned threads = 0);
  ~SnapshotCopier();
  SnapshotCopier(const SnapshotCopier&) = delete;
  SnapshotCopier& operator=(const SnapshotCopier&) = delete;

  // Stores the tree `root` of the source, with everything below it, in the
  // destination and returns its ID there. Blobs are queued, not flushed:
  // the caller flushes the destination before saving a snapshot that names
  // the tree. A source blob that is missing or damaged throws its
  // Error(not_found / integrity) with the path of the file or directory.
  BlobId copy_tree(const BlobId& root);

  const CopyProgress& progress() const { return m_progress; }

private:
  // Past this many remembered contents or trees, the memory is cleared
  // rather than grown (about 200 MB): a later file is then read again, but
  // never stored twice.
  static constexpr std::size_t k_max_remembered = std::size_t{1} << 20;
  // A file content of the source, by the hash of its blob list.
  using ContentKey = crypto::Hash;
  static ContentKey content_key(const std::vector<BlobId>& content);

  BlobId copy_dir(const BlobId& source_tree, const std::string& path);
  // Streams `content` from the source through the destination's chunker;
  // the new IDs land in `slots` as the pipeline finishes them.
  void rechunk(const std::vector<BlobId>& content, const std::string& path,
               const std::shared_ptr<ContentSlots>& slots);
  void poll_cancel();

  Repository& m_from;
  Repository& m_to;
  CopyReporter& m_reporter;
  std::unique_ptr<BlobPrefetcher> m_prefetch;
  std::unique_ptr<ChunkPipeline> m_pipeline;
  Bytes m_buffer;
  std::unordered_map<BlobId, BlobId, BlobIdHash> m_trees; // source tree -> destination tree
  std::map<ContentKey, std::vector<BlobId>> m_contents;   // source content -> destination content
  // Contents being cut, until the directory that started them is saved.
  std::map<ContentKey, std::shared_ptr<ContentSlots>> m_started;
  CopyProgress m_progress;
};

} // namespace offsite::core
