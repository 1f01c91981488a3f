#pragma once
// find: which snapshots hold entries matching a pattern (restic's find).
//
// Snapshots share most of their trees, so the search is memoized per tree
// blob: the matches below a tree are computed once, and every later snapshot
// that holds the same tree reuses them without loading it again. A pattern
// with '/' depends on where a tree sits, so with such patterns the memo key is
// the tree and its path (in practice the same: a shared tree sits at the same
// path in every snapshot of one backup set).
//
// Patterns follow core/backup/exclude.hpp's glob rules, but a match is the
// entry itself, not everything below it:
//   without '/': the entry's name ("*.pdf", "report-??.txt");
//   with '/': the entry's whole path ("/home/*/notes.txt"), or, when not
//   starting with '/', any trailing run of its components ("docs/*.pdf").

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/backup/exclude.hpp"
#include "core/format/snapshot.hpp"
#include "core/format/tree.hpp"
#include "core/repo/repository.hpp"

namespace offsite::core {

struct FindQuery {
  std::vector<std::string> patterns;     // at least one
  std::optional<std::int64_t> newest_ns; // only entries modified at or before
  std::optional<std::int64_t> oldest_ns; // only entries modified at or after
};

// One matching entry: its absolute path in the snapshot and what find shows
// of it (the node without its content list).
struct FindMatch {
  std::string path;
  NodeType type = NodeType::file;
  std::uint32_t mode = 0;
  std::string user;
  std::string group;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string link_target;
};

class Finder {
public:
  // Error(usage) when `query` has no pattern. `repo` must outlive the finder
  // and have its index loaded. Not thread-safe.
  Finder(Repository& repo, FindQuery query);

  // The matches in `snapshot`, in tree order (depth first, names sorted).
  // Throws what loading a tree throws (Error(integrity) for a damaged one).
  std::vector<FindMatch> find(const Snapshot& snapshot);

  // How many tree blobs were loaded so far: each at most once (per path,
  // with '/' patterns).
  std::uint64_t trees_loaded() const { return m_trees_loaded; }

private:
  // Matches below one tree, with paths relative to it ("a/b").
  using Matches = std::vector<FindMatch>;
  std::shared_ptr<const Matches> matches_below(const BlobId& tree, const std::string& dir);
  bool entry_matches(const std::string& path, const Node& node) const;
  bool may_match_below(const std::string& dir) const;

  Repository& m_repo;
  FindQuery m_query;
  std::vector<std::string> m_name_patterns;
  PathMatcher m_path_patterns;
  std::unordered_map<std::string, std::shared_ptr<const Matches>> m_memo;
  std::uint64_t m_trees_loaded = 0;
};

} // namespace offsite::core
