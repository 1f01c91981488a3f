#pragma once
// The restore walk (restorer.cpp: directories and special files;
// restorer_file.cpp: file contents, hardlinks, verification).

#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/restore/blob_prefetcher.hpp"
#include "core/restore/block_schedule.hpp"
#include "core/restore/restorer.hpp"
#include "core/restore/restorer_fs.hpp"
#include "core/restore/restorer_meta.hpp"
#include "core/restore/restorer_plan.hpp"

namespace offsite::core::restore_detail {

class Restorer {
public:
  Restorer(Repository& repo, const Snapshot& snapshot, const RestoreOptions& options,
           RestoreReporter& reporter);
  ~Restorer();
  Restorer(const Restorer&) = delete;
  Restorer& operator=(const Restorer&) = delete;
  RestoreResult run();

private:
  // `rel`: names from the target down to `dirfd`, for hardlinks.
  void restore_children(int dirfd, const Tree& tree, const std::string& path,
                        std::vector<std::string>& rel, bool inside_included, int depth);
  void restore_entry(int dirfd, const Node& node, const std::string& path,
                     std::vector<std::string>& rel, bool inside_included, int depth);
  void restore_dir(int dirfd, const Node& node, const std::string& path,
                   std::vector<std::string>& rel, bool inside_included, int depth);
  void restore_special(int dirfd, const Node& node, const std::string& path);
  // Keeps the prefetcher's announcements k_announce_ahead blobs ahead of
  // the walk (from the scan's list, across directories). Announcing one
  // directory's files at a time left its workers idle at every directory
  // of few small files: a 1 GiB restore ran at the speed of one core.
  // Also within a file (every k_announce_batch of its blobs): a file of
  // more blobs than the look-ahead is announced as it is written.
  void announce_ahead();
  // Moves the walk's place in m_scan.contents to `node`, a file the walk has
  // reached (restored or not). False when its blobs are not in the list
  // (none, or a file the pre-scan did not see): m_file_start is not its.
  bool follow_walk(const Node& node);
  static constexpr std::size_t k_announce_ahead = 4096;
  static constexpr std::size_t k_announce_batch = 1024;

  // restorer_file.cpp
  void restore_file(int dirfd, const Node& node, const std::string& path,
                    const std::vector<std::string>& rel);
  bool link_to_first(int dirfd, const Node& node, const std::string& path);
  // True when the file read back equals the snapshot (else a warning).
  bool verify_file(int dirfd, const Node& node, const std::string& path,
                   const std::vector<std::uint32_t>& lengths);

  // Applies the overwrite policy to whatever exists at node.name (never a
  // directory for a non-directory node: that is left alone). Returns false
  // when the node must be skipped.
  bool may_replace(int dirfd, const Node& node, const std::string& path);
  bool unchanged(int dirfd, const Node& node, const struct stat& st) const;

  void warn(const std::string& path, const std::string& message);
  // An entry left out because its data is damaged or missing: warned about
  // and listed in the result.
  void damaged(const std::string& path, const std::string& reason, bool directory);
  void skip(const Node& node, const std::string& path);
  // A file or other entry is (or, in a dry run, would be) in place.
  void placed(const std::string& path);

  // restorer_delete.cpp: removes (dry run: reports) what `dirfd` holds
  // that `tree` does not, when delete_extra is set.
  void delete_extra(int dirfd, const Tree& tree, const std::string& path);
  void poll_cancel();
  void report(const std::string& path);

  Repository& m_repo;
  const Snapshot& m_snapshot;
  const RestoreOptions& m_options;
  RestoreReporter& m_reporter;
  TreeLoader m_trees;
  Filter m_filter;
  MetadataWriter m_meta;
  TempNames m_temps;
  ScanResult m_scan;
  util::Fd m_target;
  RestoreResult m_result;
  RestoreProgress m_progress;
  BlobPrefetcher m_prefetch;
  std::unique_ptr<BlockSchedule> m_schedule; // on a remote store: for its pack block cache
  std::size_t m_announced = 0;               // of m_scan.contents
  std::size_t m_walked = 0;     // of m_scan.contents: up to the end of the last file reached
  std::size_t m_file_start = 0; // of m_scan.contents: where that file's blobs start

  struct FirstLink {
    std::vector<std::string> rel; // path from the target, last = file name
    std::vector<BlobId> content;
    bool verified = false; // read back and found equal: so is every other name of it
  };
  std::map<std::pair<std::uint64_t, std::uint64_t>, FirstLink> m_links; // (device, inode)

  bool m_existed = false; // may_replace found an entry in the way (and let it go)
  // Directories this restore created (by fd) while their entries are
  // restored: empty and 0700 until then, so nothing can be in the way of a
  // name and the stat that asks (one failing system call per entry) is left out.
  std::unordered_set<int> m_fresh_dirs;
  std::uint64_t m_verify_failures = 0;
  std::string m_first_verify_failure;
};

} // namespace offsite::core::restore_detail
