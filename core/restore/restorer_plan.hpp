#pragma once
// What a restore will touch, decided before anything is written: the trees
// are loaded and judged (unsafe or duplicate names stop the restore while
// the target is still untouched), includes/excludes are applied, and the
// byte total for progress falls out of the same walk.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/backup/exclude.hpp"
#include "core/format/tree.hpp"
#include "core/repo/repository.hpp"
#include "core/repo/tree_prefetcher.hpp"

namespace offsite::core::restore_detail {

// Deeper trees are refused: the walk recurses and holds one fd per level.
constexpr int k_max_depth = 512;

// Throws Error(integrity) when a name of `tree` is unsafe or appears twice.
// `dir` is the tree's path inside the snapshot, for the message.
void check_tree_names(const Tree& tree, const std::string& dir);

// Loads, decodes and checks trees; keeps recent ones so the restore walk
// does not fetch again what the pre-scan just read.
class TreeLoader {
public:
  explicit TreeLoader(Repository& repo) : m_repo(repo) {}
  // `check`: judge the names (off only for trees merely passed through on
  // the way to a sub-path, whose other entries are never restored).
  std::shared_ptr<const Tree> load(const BlobId& id, const std::string& dir, bool check = true);
  // The same, but a tree whose blob is damaged or missing (Error integrity
  // or not_found from the repository) gives nullptr and its reason; a tree
  // with unsafe names still throws.
  std::shared_ptr<const Tree> load_readable(const BlobId& id, const std::string& dir,
                                            std::string& reason);

  // Between these two, trees announced with expect_next() (see
  // TreePrefetcher's contract) load on worker threads ahead of the caller:
  // for the pre-scan, which loads every tree the restore enters.
  void start_prefetch();
  void expect_next(const std::vector<BlobId>& ids);
  void stop_prefetch() { m_prefetch.reset(); }

private:
  Repository& m_repo;
  std::unique_ptr<TreePrefetcher> m_prefetch;
  std::unordered_map<BlobId, std::shared_ptr<const Tree>, BlobIdHash> m_cache;
  std::size_t m_cached_bytes = 0; // encoded size of the cached trees
};

enum class Selection {
  skip,    // excluded, or not included
  all,     // restore it (and, for a dir, everything below that is not excluded)
  leading, // a dir on the way to included entries: restored, but only its selected children
};

class Filter {
public:
  Filter(const PathMatcher& includes, const PathMatcher& excludes)
      : m_includes(includes), m_excludes(excludes) {}
  // `inside_included`: an ancestor matched the includes.
  Selection select(const std::string& path, const Node& node, bool inside_included) const;

private:
  const PathMatcher& m_includes;
  const PathMatcher& m_excludes;
};

// The part of the snapshot to restore.
struct RestoreRoot {
  // Set when a sub-path names one entry: it is restored as target/<name>.
  // Unset: the whole snapshot, its top-level entries directly in target.
  std::optional<Node> node;
  std::string path = "/"; // snapshot path of that entry
};

// Error(not_found) when `sub_path` is not in the snapshot.
RestoreRoot resolve_sub_path(TreeLoader& trees, const BlobId& root, std::string_view sub_path,
                             std::string_view snapshot_name);

struct ScanResult {
  std::uint64_t bytes_total = 0;
  std::uint64_t entries = 0;
  // Leading dirs below which nothing matched: the walk does not create them.
  std::unordered_set<std::string> empty_leading;
  // Dirs whose listing cannot be read: restored empty, and named.
  std::unordered_set<std::string> unreadable;
  // The data blobs of every selected file, in the order the restore walk
  // takes them (the scan walks as it does), for the prefetcher.
  std::vector<BlobId> contents;
};

// Checks every tree the restore will enter; throws Error(integrity) before
// anything is written for unsafe names. A tree that cannot be loaded is
// noted in `unreadable` and not entered.
// `list_contents`: fill ScanResult::contents (32 bytes per blob; a dry run
// fetches nothing and needs none).
ScanResult scan(TreeLoader& trees, const Filter& filter, const BlobId& root_tree,
                const RestoreRoot& root, bool list_contents = true);

} // namespace offsite::core::restore_detail
