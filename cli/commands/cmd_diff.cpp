// diff: what changed between two snapshots. Both trees are walked side by
// side in name order; a subtree whose ID is the same on both sides is
// identical by construction (tree IDs are MACs of their encoding) and is
// skipped without loading it, so comparing two backups of a big, mostly
// unchanged tree reads only the directories that changed.
#include <memory>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "core/common/error.hpp"
#include "core/format/tree.hpp"
#include "util/path.hpp"

namespace offsite::cli {

struct DiffOptions {
  std::string first;
  std::string second;
  core::SnapshotFilter filter; // chooses what "latest" means
};

namespace {

using BlobSet = std::unordered_set<core::BlobId, core::BlobIdHash>;

// The modifiers restic prints: + added, - removed, M content changed,
// U metadata only (mode, owner, mtime, xattrs), T type changed.
struct Change {
  char modifier;
  std::string path;
  core::NodeType type; // of the new node, or the removed one
};

struct KindCounts {
  std::uint64_t files = 0;
  std::uint64_t dirs = 0;
  std::uint64_t others = 0;

  void count(core::NodeType type) {
    if (type == core::NodeType::file)
      ++files;
    else if (type == core::NodeType::dir)
      ++dirs;
    else
      ++others;
  }
  nlohmann::json json() const { return {{"files", files}, {"dirs", dirs}, {"others", others}}; }
};

bool same_content(const core::Node& a, const core::Node& b) {
  switch (a.type) {
  case core::NodeType::file: return a.size == b.size && a.content == b.content;
  case core::NodeType::symlink: return a.link_target == b.link_target;
  case core::NodeType::chardev:
  case core::NodeType::blockdev: return a.rdev == b.rdev;
  default: return true; // directories: their entries are compared one by one
  }
}

// What "U" means. Not atime/ctime, inode, device or link count: those change
// with every backup of an untouched tree, or between machines.
bool same_metadata(const core::Node& a, const core::Node& b) {
  return a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.user == b.user &&
         a.group == b.group && a.mtime_ns == b.mtime_ns && a.xattrs == b.xattrs;
}

class Differ {
public:
  explicit Differ(core::Repository& repo) : m_repo(repo) {}

  void compare_trees(const std::string& dir, const core::BlobId& a, const core::BlobId& b) {
    if (a == b) return;
    const auto old_nodes = load(a);
    const auto new_nodes = load(b);
    auto i = old_nodes.begin();
    auto j = new_nodes.begin();
    while (i != old_nodes.end() || j != new_nodes.end()) {
      if (j == new_nodes.end() || (i != old_nodes.end() && i->name < j->name)) {
        one_side('-', util::join_path(dir, i->name), *i, m_old_blobs);
        ++i;
      } else if (i == old_nodes.end() || j->name < i->name) {
        one_side('+', util::join_path(dir, j->name), *j, m_new_blobs);
        ++j;
      } else {
        compare_nodes(util::join_path(dir, i->name), *i, *j);
        ++i;
        ++j;
      }
    }
  }

  const std::vector<Change>& changes() const { return m_changes; }
  const KindCounts& added() const { return m_added; }
  const KindCounts& removed() const { return m_removed; }

  // Plaintext bytes of data blobs on one side only. Counted over the
  // entries that differ, so a file moved out of an unchanged directory
  // counts as added.
  std::uint64_t bytes_only_in(bool in_new) const {
    const BlobSet& mine = in_new ? m_new_blobs : m_old_blobs;
    const BlobSet& other = in_new ? m_old_blobs : m_new_blobs;
    std::uint64_t total = 0;
    for (const auto& id : mine)
      if (!other.count(id))
        if (const auto loc = m_repo.index().find(id)) total += loc->raw_length;
    return total;
  }

private:
  std::vector<core::Node> load(const core::BlobId& id) {
    return core::decode_tree(m_repo.load_blob(core::BlobType::tree, id)).nodes;
  }

  void record(char modifier, const std::string& path, core::NodeType type) {
    m_changes.push_back({modifier, path, type});
  }

  // An entry (and everything below it) that exists on one side only.
  void one_side(char modifier, const std::string& path, const core::Node& node, BlobSet& blobs) {
    record(modifier, path, node.type);
    (modifier == '+' ? m_added : m_removed).count(node.type);
    blobs.insert(node.content.begin(), node.content.end());
    if (node.type == core::NodeType::dir && node.subtree)
      for (const auto& child : load(*node.subtree))
        one_side(modifier, util::join_path(path, child.name), child, blobs);
  }

  void compare_nodes(const std::string& path, const core::Node& a, const core::Node& b) {
    if (a.type != b.type) {
      record('T', path, b.type);
      m_old_blobs.insert(a.content.begin(), a.content.end());
      m_new_blobs.insert(b.content.begin(), b.content.end());
      if (a.type == core::NodeType::dir && a.subtree)
        for (const auto& child : load(*a.subtree))
          one_side('-', util::join_path(path, child.name), child, m_old_blobs);
      if (b.type == core::NodeType::dir && b.subtree)
        for (const auto& child : load(*b.subtree))
          one_side('+', util::join_path(path, child.name), child, m_new_blobs);
      return;
    }
    if (!same_content(a, b)) {
      record('M', path, b.type);
      m_old_blobs.insert(a.content.begin(), a.content.end());
      m_new_blobs.insert(b.content.begin(), b.content.end());
    } else if (!same_metadata(a, b)) {
      record('U', path, b.type);
    }
    if (a.type == core::NodeType::dir && a.subtree && b.subtree)
      compare_trees(path, *a.subtree, *b.subtree);
  }

  core::Repository& m_repo;
  std::vector<Change> m_changes;
  KindCounts m_added;
  KindCounts m_removed;
  BlobSet m_old_blobs;
  BlobSet m_new_blobs;
};

std::string display(const Change& c) {
  return printable(c.path) + (c.type == core::NodeType::dir ? "/" : "");
}

} // namespace

int run_diff(const DiffOptions& options, const GlobalOptions& global, Terminal& terminal) {
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    // "latest" lists the snapshots (once), naming those it leaves out.
    std::optional<core::SnapshotListing> listing;
    const auto resolve = [&](const std::string& reference) {
      if (reference != "latest") return core::resolve_snapshot(ctx.repo, reference, options.filter);
      if (!listing) listing = list_snapshots_checked(ctx, global, terminal).listing;
      return core::resolve_snapshot(ctx.repo, reference, options.filter, *listing);
    };
    const auto first = resolve(options.first);
    const auto second = resolve(options.second);
    Differ differ(ctx.repo);
    differ.compare_trees("/", first.tree, second.tree);

    std::size_t modified = 0, metadata = 0, type_changed = 0;
    for (const auto& c : differ.changes()) {
      modified += c.modifier == 'M';
      metadata += c.modifier == 'U';
      type_changed += c.modifier == 'T';
    }
    const std::uint64_t bytes_added = differ.bytes_only_in(true);
    const std::uint64_t bytes_removed = differ.bytes_only_in(false);

    if (terminal.json()) {
      nlohmann::json lists = {{"added", nlohmann::json::array()},
                              {"removed", nlohmann::json::array()},
                              {"modified", nlohmann::json::array()},
                              {"metadata", nlohmann::json::array()},
                              {"type_changed", nlohmann::json::array()}};
      for (const auto& c : differ.changes()) {
        const char* list = c.modifier == '+'   ? "added"
                           : c.modifier == '-' ? "removed"
                           : c.modifier == 'M' ? "modified"
                           : c.modifier == 'U' ? "metadata"
                                               : "type_changed";
        lists[list].push_back({{"path", c.path}, {"node_type", core::node_type_name(c.type)}});
      }
      nlohmann::json doc = {{"type", "diff"},
                            {"snapshot_1", first.id},
                            {"snapshot_2", second.id},
                            {"counts",
                             {{"added", differ.added().json()},
                              {"removed", differ.removed().json()},
                              {"modified", modified},
                              {"metadata", metadata},
                              {"type_changed", type_changed}}},
                            {"bytes_added", bytes_added},
                            {"bytes_removed", bytes_removed}};
      doc.update(lists);
      terminal.emit(std::move(doc));
      return 0;
    }
    terminal.info(
        fmt::format("comparing snapshot {} to {}", first.id.substr(0, 8), second.id.substr(0, 8)));
    std::string text;
    for (const auto& c : differ.changes())
      text += fmt::format("{:<5}{}\n", c.modifier, display(c));
    if (!text.empty()) text += "\n";
    const auto& a = differ.added();
    const auto& r = differ.removed();
    text += fmt::format("Files:  {} new, {} removed, {} changed\n", a.files, r.files, modified);
    text += fmt::format("Dirs:   {} new, {} removed\n", a.dirs, r.dirs);
    text += fmt::format("Others: {} new, {} removed\n", a.others, r.others);
    text += fmt::format("Metadata only: {}, type changed: {}\n", metadata, type_changed);
    text += fmt::format("Added:   {}\nRemoved: {}", format_bytes(bytes_added),
                        format_bytes(bytes_removed));
    terminal.out(text);
    return 0;
  });
}

void register_diff(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<DiffOptions>();
  auto* sub = app.add_subcommand("diff", "Show what changed between two snapshots");
  sub->add_option("snapshot1", options->first,
                  "The older snapshot: ID, unique prefix or \"latest\"")
      ->required()
      ->type_name("SNAPSHOT1");
  sub->add_option("snapshot2", options->second,
                  "The newer snapshot: ID, unique prefix or \"latest\"")
      ->required()
      ->type_name("SNAPSHOT2");
  add_snapshot_filter(*sub, options->filter, ", for \"latest\"");
  sub->footer("Lines: + added, - removed, M content changed, U metadata only (mode, owner,\n"
              "mtime, xattrs), T type changed; directories end in '/'.\n\n"
              "Examples:\n"
              "  offsite diff 1a2b3c4d 5e6f7a8b\n"
              "  offsite diff 1a2b3c4d latest --host web1");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_diff(*options, global, t); };
  });
}

} // namespace offsite::cli
