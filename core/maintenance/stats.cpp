// Per-snapshot totals come from one memoized walk: a tree's file count and
// size are computed once, however many snapshots share it, so the cost is
// that of loading each distinct tree once.
#include "core/maintenance/stats.hpp"

#include <unordered_map>

#include "core/maintenance/reachability.hpp"
#include "core/repo/repo_scan.hpp"

namespace offsite::core {

double StatsResult::dedup_ratio() const {
  return unique_size ? static_cast<double>(logical_size) / static_cast<double>(unique_size) : 0;
}

double StatsResult::compression_ratio() const {
  return blobs_stored ? static_cast<double>(blobs_raw) / static_cast<double>(blobs_stored) : 0;
}

namespace {

struct Totals {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

class StatsWalker {
public:
  StatsWalker(Repository& repo, StatsResult& result,
              const std::function<void(std::uint64_t)>& on_tree)
      : m_repo(repo), m_result(result), m_on_tree(on_tree) {}

  Totals totals(const BlobId& id) {
    if (const auto it = m_memo.find(id); it != m_memo.end()) return it->second;
    const Tree tree = load_tree(m_repo, id);
    count_blob(id);
    if (m_on_tree) m_on_tree(m_memo.size() + 1);
    Totals t;
    for (const Node& n : tree.nodes) {
      if (n.type == NodeType::file) {
        ++t.files;
        t.bytes += n.size;
        for (const auto& blob : n.content)
          if (m_data.insert(blob).second) count_blob(blob);
      }
      if (n.subtree) {
        const Totals sub = totals(*n.subtree);
        t.files += sub.files;
        t.bytes += sub.bytes;
      }
    }
    m_memo.emplace(id, t);
    return t;
  }

private:
  void count_blob(const BlobId& id) {
    const auto loc = m_repo.index().find(id);
    if (!loc) return; // the walk already loaded trees; data: check reports it
    (loc->type == BlobType::tree ? m_result.tree_blobs : m_result.data_blobs) += 1;
    if (loc->type == BlobType::data) m_result.unique_size += loc->raw_length;
    m_result.blobs_raw += loc->raw_length;
    m_result.blobs_stored += loc->length;
  }

  Repository& m_repo;
  StatsResult& m_result;
  const std::function<void(std::uint64_t)>& m_on_tree;
  std::unordered_map<BlobId, Totals, BlobIdHash> m_memo;
  BlobIdSet m_data;
};

} // namespace

StatsResult compute_stats(Repository& repo, const std::vector<Snapshot>& snapshots,
                          const std::function<void(std::uint64_t)>& on_tree) {
  StatsResult result;
  result.snapshots = snapshots.size();
  StatsWalker walker(repo, result, on_tree);
  for (const auto& s : snapshots) {
    const Totals t = walker.totals(s.tree);
    result.files += t.files;
    result.logical_size += t.bytes;
  }
  for (const auto& [name, size] : list_packs(repo.store())) {
    ++result.packs;
    result.stored_size += size;
  }
  return result;
}

} // namespace offsite::core
