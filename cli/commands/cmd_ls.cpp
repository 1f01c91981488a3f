#include <memory>
#include <sys/stat.h>

#include <fmt/format.h>

#include "cli/access/repository_access.hpp"
#include "cli/access/snapshot_access.hpp"
#include "cli/commands.hpp"
#include "cli/ui/snapshot_filter.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/ui/time_parse.hpp"
#include "core/common/error.hpp"
#include "core/format/json_text.hpp"
#include "core/format/tree.hpp"
#include "core/repo/snapshot_select.hpp"
#include "util/path.hpp"

namespace offsite::cli {

struct LsOptions {
  std::string snapshot;
  std::string path = "/";
  bool long_format = false;
  bool recursive = false;
  core::SnapshotFilter filter; // chooses what "latest" means
};

namespace {

std::string mode_string(const core::Node& node) {
  static constexpr char k_types[] = {'-', 'd', 'l', 'p', 'c', 'b', 's'};
  std::string out(1, k_types[static_cast<int>(node.type)]);
  static constexpr const char* k_rwx = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit)
    out.push_back(node.mode & (0400u >> bit) ? k_rwx[bit] : '-');
  if (node.mode & S_ISUID) out[3] = out[3] == 'x' ? 's' : 'S';
  if (node.mode & S_ISGID) out[6] = out[6] == 'x' ? 's' : 'S';
  if (node.mode & S_ISVTX) out[9] = out[9] == 'x' ? 't' : 'T';
  return out;
}

class Lister {
public:
  Lister(core::Repository& repo, Terminal& terminal, bool long_format)
      : m_repo(repo), m_terminal(terminal), m_long(long_format) {}

  void node(const std::string& path, const core::Node& n) {
    if (m_terminal.json()) {
      // Names are bytes: "<field>_hex" twins keep them exact (json_text.hpp).
      nlohmann::json item = {{"type", core::node_type_name(n.type)},
                             {"mode", n.mode},
                             {"uid", n.uid},
                             {"gid", n.gid},
                             {"size", n.size},
                             {"mtime", format_utc_time(n.mtime_ns)}};
      core::put_json_text(item, "path", path);
      core::put_json_text(item, "user", n.user);
      core::put_json_text(item, "group", n.group);
      if (n.type == core::NodeType::symlink)
        core::put_json_text(item, "link_target", n.link_target);
      m_items.push_back(std::move(item));
      return;
    }
    if (!m_long) {
      m_text += printable(path) + "\n";
      return;
    }
    std::string line = fmt::format("{} {:>8} {:>8} {:>12} {} {}", mode_string(n),
                                   n.user.empty() ? std::to_string(n.uid) : printable(n.user),
                                   n.group.empty() ? std::to_string(n.gid) : printable(n.group),
                                   n.size, format_local_time(n.mtime_ns), printable(path));
    if (n.type == core::NodeType::symlink) line += " -> " + printable(n.link_target);
    m_text += line + "\n";
  }

  // `recursive`: everything below, else the directory's own entries.
  void walk(const std::string& path, const core::BlobId& tree_id, bool recursive) {
    const auto tree = core::decode_tree(m_repo.load_blob(core::BlobType::tree, tree_id));
    for (const auto& n : tree.nodes) {
      const std::string child = util::join_path(path, n.name);
      node(child, n);
      if (recursive && n.type == core::NodeType::dir && n.subtree) walk(child, *n.subtree, true);
    }
  }

  void finish(const std::string& snapshot_id) {
    if (m_terminal.json())
      m_terminal.emit(
          {{"type", "ls"}, {"snapshot_id", snapshot_id}, {"nodes", std::move(m_items)}});
    else if (!m_text.empty())
      m_terminal.out(m_text);
  }

private:
  core::Repository& m_repo;
  Terminal& m_terminal;
  bool m_long;
  std::string m_text;
  nlohmann::json m_items = nlohmann::json::array();
};

} // namespace

int run_ls(const LsOptions& options, const GlobalOptions& global, Terminal& terminal) {
  const std::string wanted_path = core::snapshot_inner_path(options.path, "the path");
  return with_repository(global, terminal, {}, RepoLock::none, [&](RepositoryContext& ctx) {
    const auto snapshot =
        resolve_snapshot_checked(ctx, global, terminal, options.snapshot, options.filter);
    Lister lister(ctx.repo, terminal, options.long_format);
    // Descend to the requested path one component at a time.
    core::BlobId tree = snapshot.tree;
    std::string path = "/";
    const std::filesystem::path wanted = std::filesystem::path(wanted_path).lexically_normal();
    for (const auto& part : wanted.relative_path()) {
      if (part.empty()) continue;
      const auto nodes = core::decode_tree(ctx.repo.load_blob(core::BlobType::tree, tree)).nodes;
      auto it = std::find_if(nodes.begin(), nodes.end(),
                             [&](const core::Node& n) { return n.name == part.string(); });
      if (it == nodes.end())
        throw Error(Code::not_found,
                    fmt::format("{} is not in snapshot {}", printable(wanted_path),
                                snapshot.id.substr(0, 8)),
                    "list the snapshot with \"offsite ls SNAPSHOT\" to see its paths");
      path = util::join_path(path, it->name);
      if (it->type != core::NodeType::dir || !it->subtree) {
        lister.node(path, *it);
        lister.finish(snapshot.id);
        return 0;
      }
      tree = *it->subtree;
    }
    // As restic: the whole snapshot lists everything, a directory named on
    // the command line its own entries unless --recursive.
    lister.walk(path, tree, options.recursive || path == "/");
    lister.finish(snapshot.id);
    return 0;
  });
}

void register_ls(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<LsOptions>();
  auto* sub = app.add_subcommand("ls", "List the files in a snapshot");
  sub->add_option("snapshot", options->snapshot, "Snapshot ID, unique prefix or \"latest\"")
      ->required()
      ->type_name("SNAPSHOT");
  sub->add_option("path", options->path, "Only this path inside the snapshot")->type_name("PATH");
  sub->add_flag("-l,--long", options->long_format, "Long format: mode, owner, size, time");
  sub->add_flag("-R,--recursive", options->recursive,
                "With PATH: everything below it, not only its own entries");
  add_snapshot_filter(*sub, options->filter, ", for \"latest\"");
  sub->footer("Examples:\n  offsite ls -l latest /home/me/docs\n"
              "  offsite ls latest --host web1 --tag nightly /etc");
  sub->callback([options, &global] {
    global.run = [options, &global](Terminal& t) { return run_ls(*options, global, t); };
  });
}

} // namespace offsite::cli
