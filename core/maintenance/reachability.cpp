// Tree walks over all snapshots. Trees are content-addressed, so snapshots
// share most of them; each walk remembers which trees it has seen (or what
// it learnt about them) and loads each one once.
#include "core/maintenance/reachability.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::core {

namespace {

// Errors that mean "this blob is unusable", as opposed to a network or disk
// failure on our side, which must stop the walk.
bool is_data_error(const Error& e) {
  return e.code() == Code::integrity || e.code() == Code::not_found;
}

} // namespace

Tree load_tree(Repository& repo, const BlobId& id) {
  return decode_tree(repo.load_blob(BlobType::tree, id));
}

Reachable find_reachable(Repository& repo, const std::vector<Snapshot>& snapshots,
                         const std::function<void(std::uint64_t)>& on_tree) {
  Reachable out;
  std::vector<BlobId> pending;
  for (const auto& s : snapshots)
    if (out.trees.insert(s.tree).second) pending.push_back(s.tree);
  std::uint64_t loaded = 0;
  while (!pending.empty()) {
    const BlobId id = pending.back();
    pending.pop_back();
    Tree tree;
    try {
      tree = load_tree(repo, id);
    } catch (const Error& e) {
      if (!is_data_error(e)) throw;
      out.problems.push_back({id, BlobType::tree, e.what()});
      continue;
    }
    ++loaded;
    if (on_tree) on_tree(loaded);
    for (const auto& node : tree.nodes) {
      if (node.subtree && out.trees.insert(*node.subtree).second) pending.push_back(*node.subtree);
      for (const auto& blob : node.content)
        if (out.data.insert(blob).second && !repo.index().contains(blob))
          out.problems.push_back(
              {blob, BlobType::data,
               fmt::format("data blob {} is not in the index", blob_id_hex(blob))});
    }
  }
  return out;
}

namespace {

class UserFinder {
public:
  UserFinder(Repository& repo, const BlobIdSet& blobs, std::size_t limit)
      : m_repo(repo), m_blobs(blobs), m_limit(limit) {}

  void walk(const Snapshot& snapshot) {
    if (affected(snapshot.tree)) visit(snapshot.id, "", snapshot.tree);
  }
  std::vector<BlobUser>& users() { return m_users; }

private:
  std::optional<Tree> try_load(const BlobId& id) {
    try {
      return load_tree(m_repo, id);
    } catch (const Error& e) {
      if (!is_data_error(e)) throw;
      return std::nullopt;
    }
  }

  // Whether anything at or below this tree uses the blobs. Memoized, so a
  // tree shared by many snapshots is judged once.
  bool affected(const BlobId& id) {
    if (const auto it = m_affected.find(id); it != m_affected.end()) return it->second;
    bool result = m_blobs.contains(id);
    if (!result) {
      const auto tree = try_load(id);
      result = !tree;
      for (std::size_t i = 0; tree && !result && i < tree->nodes.size(); ++i) {
        const Node& n = tree->nodes[i];
        for (const auto& blob : n.content)
          result = result || m_blobs.contains(blob);
        result = result || (n.subtree && affected(*n.subtree));
      }
    }
    m_affected.emplace(id, result);
    return result;
  }

  void visit(const std::string& snapshot_id, const std::string& path, const BlobId& id) {
    if (m_users.size() >= m_limit) return;
    std::optional<Tree> tree;
    if (!m_blobs.contains(id)) tree = try_load(id);
    if (!tree) { // the directory itself is lost
      m_users.push_back({snapshot_id, path.empty() ? "/" : path, {id}});
      return;
    }
    for (const Node& n : tree->nodes) {
      const std::string child = path + "/" + n.name;
      std::vector<BlobId> hit;
      for (const auto& blob : n.content)
        if (m_blobs.contains(blob) && std::find(hit.begin(), hit.end(), blob) == hit.end())
          hit.push_back(blob);
      if (!hit.empty() && m_users.size() < m_limit)
        m_users.push_back({snapshot_id, child, std::move(hit)});
      if (n.subtree && affected(*n.subtree)) visit(snapshot_id, child, *n.subtree);
    }
  }

  Repository& m_repo;
  const BlobIdSet& m_blobs;
  std::size_t m_limit;
  std::unordered_map<BlobId, bool, BlobIdHash> m_affected;
  std::vector<BlobUser> m_users;
};

} // namespace

std::vector<BlobUser> find_users(Repository& repo, const std::vector<Snapshot>& snapshots,
                                 const BlobIdSet& blobs, std::size_t limit) {
  UserFinder finder(repo, blobs, limit);
  for (const auto& s : snapshots)
    finder.walk(s);
  return std::move(finder.users());
}

} // namespace offsite::core
