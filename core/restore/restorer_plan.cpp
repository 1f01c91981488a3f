#include "core/restore/restorer_plan.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/restore/restorer_fs.hpp"
#include "util/path.hpp"
#include "util/printable.hpp"

namespace offsite::core::restore_detail {

namespace {

// Enough for the trees of a few hundred thousand files; past it the restore
// walk loads trees a second time instead of holding everything.
constexpr std::size_t k_cache_budget = std::size_t{64} << 20;

[[noreturn]] void refuse_name(std::string_view name, const std::string& dir, std::string_view why) {
  throw Error(
      Code::integrity,
      fmt::format("snapshot holds an unsafe file name \"{}\"{} in {}; refusing to restore it",
                  util::printable(name, {.quoted = true}), why,
                  util::printable(dir, {.quoted = true})),
      fmt::format("nothing was restored: the snapshot was crafted or damaged. Other parts "
                  "of it can still be restored, e.g. with --exclude \"{}\"",
                  util::printable(dir, {.quoted = true})));
}

} // namespace

void check_tree_names(const Tree& tree, const std::string& dir) {
  std::vector<std::string_view> names;
  names.reserve(tree.nodes.size());
  for (const auto& node : tree.nodes) {
    if (!is_safe_node_name(node.name)) refuse_name(node.name, dir, "");
    names.emplace_back(node.name);
  }
  std::sort(names.begin(), names.end());
  const auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end()) refuse_name(*dup, dir, " (listed twice)");
}

std::shared_ptr<const Tree> TreeLoader::load(const BlobId& id, const std::string& dir, bool check) {
  std::shared_ptr<const Tree> tree;
  if (auto it = m_cache.find(id); it != m_cache.end()) {
    tree = it->second;
  } else {
    std::size_t bytes = 0;
    if (m_prefetch) {
      tree = std::make_shared<const Tree>(m_prefetch->take(id));
      const auto location = m_repo.index().find(id);
      bytes = location ? location->raw_length : 0; // its encoded size
    } else {
      const Bytes data = m_repo.load_blob(BlobType::tree, id);
      tree = std::make_shared<const Tree>(decode_tree(data));
      bytes = data.size();
    }
    if (m_cached_bytes + bytes <= k_cache_budget) {
      m_cached_bytes += bytes;
      m_cache.emplace(id, tree);
    }
  }
  if (check) check_tree_names(*tree, dir);
  return tree;
}

std::shared_ptr<const Tree> TreeLoader::load_readable(const BlobId& id, const std::string& dir,
                                                      std::string& reason) {
  std::shared_ptr<const Tree> tree;
  try {
    tree = load(id, dir, false);
  } catch (const Error& e) {
    if (!e.is_data_damage()) throw;
    reason = e.what();
    return nullptr;
  }
  check_tree_names(*tree, dir);
  return tree;
}

void TreeLoader::start_prefetch() { m_prefetch = std::make_unique<TreePrefetcher>(m_repo); }

void TreeLoader::expect_next(const std::vector<BlobId>& ids) {
  if (m_prefetch) m_prefetch->expect_next(ids);
}

Selection Filter::select(const std::string& path, const Node& node, bool inside_included) const {
  if (!m_excludes.empty() && m_excludes.matches(path)) return Selection::skip;
  if (m_includes.empty() || inside_included || m_includes.matches(path)) return Selection::all;
  if (node.type == NodeType::dir && m_includes.may_match_below(path)) return Selection::leading;
  return Selection::skip;
}

RestoreRoot resolve_sub_path(TreeLoader& trees, const BlobId& root, std::string_view sub_path,
                             std::string_view snapshot_name) {
  // Lexical normalization: this is a lookup in trees, not in a file system,
  // so ".." simply goes up one component.
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= sub_path.size()) {
    std::size_t end = sub_path.find('/', pos);
    if (end == std::string_view::npos) end = sub_path.size();
    const std::string_view part = sub_path.substr(pos, end - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    pos = end + 1;
  }
  RestoreRoot result;
  if (parts.empty()) return result;

  const auto not_found = [&](const std::string& path, std::string_view why) -> Error {
    return Error(Code::not_found,
                 fmt::format("\"{}\" {} in snapshot {}", util::printable(path, {.quoted = true}),
                             why, snapshot_name),
                 fmt::format("list what the snapshot holds with \"offsite ls {}\"", snapshot_name));
  };

  std::string dir = "/";
  BlobId tree_id = root;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto tree = trees.load(tree_id, dir, false);
    const std::string path = util::join_path(dir, parts[i]);
    const Node* found = nullptr;
    for (const auto& node : tree->nodes) {
      if (node.name != parts[i]) continue;
      if (found) refuse_name(node.name, dir, " (listed twice)");
      found = &node;
    }
    if (!found) throw not_found(path, "is not");
    if (i + 1 == parts.size()) {
      if (!is_safe_node_name(found->name)) refuse_name(found->name, dir, "");
      result.node = *found;
      result.path = path;
      return result;
    }
    if (found->type != NodeType::dir || !found->subtree)
      throw not_found(util::join_path(path, parts[i + 1]),
                      "is not (its parent is not a directory)");
    tree_id = *found->subtree;
    dir = path;
  }
  return result; // not reached: the loop returns on the last part
}

namespace {

class Scanner {
public:
  Scanner(TreeLoader& trees, const Filter& filter, bool list_contents)
      : m_trees(trees), m_filter(filter), m_list_contents(list_contents) {}

  // Returns whether anything below `path` is selected.
  bool scan_dir(const BlobId& tree_id, const std::string& path, bool inside_included, int depth) {
    if (depth > k_max_depth)
      throw Error(Code::integrity,
                  fmt::format("snapshot nests directories deeper than {} levels at {}; refusing to "
                              "restore it",
                              k_max_depth, util::printable(path, {.quoted = true})),
                  "restore a deeper sub-path of the snapshot instead");
    std::string reason;
    const auto tree = m_trees.load_readable(tree_id, path, reason);
    if (!tree) {
      // Unknown contents: the directory itself is restored, and named.
      m_result.unreadable.insert(path);
      return true;
    }
    struct Selected {
      const Node* node;
      std::string path;
      Selection sel;
    };
    std::vector<Selected> selected;
    std::vector<BlobId> subtrees; // entered next, in this order
    for (const auto& node : tree->nodes) {
      std::string child = util::join_path(path, node.name);
      const Selection sel = m_filter.select(child, node, inside_included);
      if (sel == Selection::skip) continue;
      selected.push_back({&node, std::move(child), sel});
      if (node.type == NodeType::dir && node.subtree) subtrees.push_back(*node.subtree);
    }
    m_trees.expect_next(subtrees);
    bool any = false;
    for (const auto& [node, child, sel] : selected) {
      if (scan_node(*node, child, sel, inside_included || sel == Selection::all, depth + 1))
        any = true;
    }
    return any;
  }

  bool scan_node(const Node& node, const std::string& path, Selection sel, bool inside_included,
                 int depth) {
    if (node.type == NodeType::dir) {
      if (!node.subtree)
        throw Error(Code::integrity,
                    fmt::format("snapshot holds the directory {} without its contents; refusing "
                                "to restore it",
                                util::printable(path, {.quoted = true})),
                    "the snapshot is damaged; restore another snapshot or exclude this path");
      const bool below = scan_dir(*node.subtree, path, inside_included, depth);
      if (sel == Selection::leading && !below) {
        m_result.empty_leading.insert(path);
        return false;
      }
    } else if (node.type == NodeType::file) {
      m_result.bytes_total += node.size;
      if (m_list_contents)
        m_result.contents.insert(m_result.contents.end(), node.content.begin(), node.content.end());
    }
    ++m_result.entries;
    return true;
  }

  ScanResult take() { return std::move(m_result); }

private:
  TreeLoader& m_trees;
  const Filter& m_filter;
  bool m_list_contents;
  ScanResult m_result;
};

} // namespace

ScanResult scan(TreeLoader& trees, const Filter& filter, const BlobId& root_tree,
                const RestoreRoot& root, bool list_contents) {
  Scanner scanner(trees, filter, list_contents);
  trees.start_prefetch();
  // Its threads would only compete with the restore's, or outlive a failed scan.
  struct StopPrefetch {
    TreeLoader& trees;
    ~StopPrefetch() { trees.stop_prefetch(); }
  } const stop{trees};
  if (!root.node) {
    scanner.scan_dir(root_tree, "/", false, 0);
  } else {
    const Selection sel = filter.select(root.path, *root.node, false);
    if (sel != Selection::skip)
      scanner.scan_node(*root.node, root.path, sel, sel == Selection::all, 0);
  }
  return scanner.take();
}

} // namespace offsite::core::restore_detail
