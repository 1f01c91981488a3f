#include "core/maintenance/find.hpp"

#include <fnmatch.h>

#include "core/common/error.hpp"
#include "util/path.hpp"

namespace offsite::core {

namespace {

FindMatch match_of(std::string path, const Node& node) {
  return {std::move(path), node.type, node.mode,     node.user,
          node.group,      node.size, node.mtime_ns, node.link_target};
}

} // namespace

Finder::Finder(Repository& repo, FindQuery query) : m_repo(repo), m_query(std::move(query)) {
  if (m_query.patterns.empty())
    throw Error(Code::usage, "find needs at least one pattern",
                "give a name glob such as '*.pdf' or a path glob such as '/home/*/notes.txt'");
  for (const auto& pattern : m_query.patterns) {
    if (pattern.empty() || pattern.find_first_not_of('/') == std::string::npos)
      throw Error(Code::usage, "an empty pattern matches nothing",
                  "give a name glob such as '*.pdf' or a path glob such as '/home/*/notes.txt'");
    if (pattern.find('/') == std::string::npos)
      m_name_patterns.push_back(pattern);
    else
      m_path_patterns.add_pattern(pattern);
  }
}

bool Finder::entry_matches(const std::string& path, const Node& node) const {
  if (m_query.newest_ns && node.mtime_ns > *m_query.newest_ns) return false;
  if (m_query.oldest_ns && node.mtime_ns < *m_query.oldest_ns) return false;
  for (const auto& pattern : m_name_patterns)
    if (::fnmatch(pattern.c_str(), node.name.c_str(), 0) == 0) return true;
  return m_path_patterns.matches_whole(path);
}

bool Finder::may_match_below(const std::string& dir) const {
  return !m_name_patterns.empty() || m_path_patterns.may_match_below(dir);
}

std::shared_ptr<const Finder::Matches> Finder::matches_below(const BlobId& tree,
                                                             const std::string& dir) {
  std::string key = blob_id_hex(tree);
  if (!m_path_patterns.empty()) key += "\n" + dir;
  if (const auto it = m_memo.find(key); it != m_memo.end()) return it->second;

  const Tree decoded = decode_tree(m_repo.load_blob(BlobType::tree, tree));
  ++m_trees_loaded;
  auto out = std::make_shared<Matches>();
  for (const auto& node : decoded.nodes) {
    const std::string path = util::join_path(dir, node.name);
    if (entry_matches(path, node)) out->push_back(match_of(node.name, node));
    if (node.type != NodeType::dir || !node.subtree || !may_match_below(path)) continue;
    for (const auto& below : *matches_below(*node.subtree, path)) {
      FindMatch m = below;
      m.path = node.name + "/" + below.path;
      out->push_back(std::move(m));
    }
  }
  m_memo.emplace(std::move(key), out);
  return out;
}

std::vector<FindMatch> Finder::find(const Snapshot& snapshot) {
  std::vector<FindMatch> out;
  for (const auto& m : *matches_below(snapshot.tree, "/")) {
    out.push_back(m);
    out.back().path = "/" + m.path;
  }
  return out;
}

} // namespace offsite::core
