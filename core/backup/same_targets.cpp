#include "core/backup/same_targets.hpp"

#include <algorithm>
#include <optional>

#include "core/format/tree.hpp"

namespace offsite::core {

namespace {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (at < path.size()) {
    const auto slash = path.find('/', at);
    const auto end = slash == std::string::npos ? path.size() : slash;
    if (end > at) parts.push_back(path.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

// The node at `parts` below `root`, or nullopt when a step is missing.
std::optional<Node> node_at(Repository& repo, const BlobId& root,
                            const std::vector<std::string>& parts) {
  BlobId tree_id = root;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Tree tree = decode_tree(repo.load_blob(BlobType::tree, tree_id));
    const auto it = std::find_if(tree.nodes.begin(), tree.nodes.end(),
                                 [&](const Node& n) { return n.name == parts[i]; });
    if (it == tree.nodes.end()) return std::nullopt;
    if (i + 1 == parts.size()) return std::move(*it);
    if (it->type != NodeType::dir || !it->subtree) return std::nullopt;
    tree_id = *it->subtree;
  }
  return std::nullopt; // "/" itself is never a backed-up path
}

} // namespace

bool same_targets(Repository& repo, const BlobId& before, const BlobId& after,
                  const std::vector<std::string>& paths) {
  if (before == after) return true;
  return std::all_of(paths.begin(), paths.end(), [&](const std::string& path) {
    const auto parts = components(path);
    const auto old_node = node_at(repo, before, parts);
    const auto new_node = node_at(repo, after, parts);
    // A node's encoding is all it records: compare that, field for field.
    return old_node && new_node && encode_tree(Tree{{*old_node}}) == encode_tree(Tree{{*new_node}});
  });
}

} // namespace offsite::core
