#include "core/dump/dump.hpp"

#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/restore/blob_prefetcher.hpp"
#include "core/restore/restorer_plan.hpp"
#include "util/path.hpp"
#include "util/printable.hpp"

namespace offsite::core {

namespace {

using restore_detail::TreeLoader;

// Archive entries up to this size are read whole before their header is
// written, so damage leaves them out instead of cutting the archive short;
// with the prefetch budget this bounds the memory a dump holds. Larger ones
// are read twice: once to authenticate every blob, then to write them.
constexpr std::uint64_t k_checked_file_size = 32u << 20;

std::string shown(const std::string& path) { return util::printable(path, {.quoted = true}); }

class Dumper {
public:
  Dumper(Repository& repo, ByteSink& sink, DumpReporter& reporter)
      : m_repo(repo), m_sink(sink), m_reporter(reporter), m_trees(repo), m_prefetch(repo) {}

  DumpResult raw(const Node& node, const std::string& path) {
    if (node.type != NodeType::file)
      throw Error(Code::usage,
                  fmt::format("{} is a {}, which has no bytes to dump", shown(path),
                              node_type_name(node.type)),
                  "add --archive tar (or zip) to dump it as an archive entry");
    m_prefetch.expect(node.content);
    stream(node, path, [&](ByteView bytes) { m_sink.write(bytes); });
    return m_result;
  }

  DumpResult archive(ArchiveFormat format, const std::optional<Node>& root, const BlobId& root_tree,
                     const std::string& path) {
    ArchiveWriter writer(format, m_sink);
    m_writer = &writer;
    // zip has no hardlinks (each name gets its own copy of the bytes), no
    // fifos and no devices.
    m_hardlinks = format == ArchiveFormat::tar;
    m_result.archived = true;
    if (!root) {
      walk(root_tree, "/", "");
    } else {
      const std::string name = root->name;
      entry(*root, path, name);
    }
    writer.finish();
    m_writer = nullptr;
    return m_result;
  }

private:
  // `archived`: the entry's path inside the archive ("" for the root).
  void walk(const BlobId& tree_id, const std::string& path, const std::string& archived) {
    std::shared_ptr<const Tree> tree;
    try {
      tree = m_trees.load(tree_id, path);
    } catch (const Error& e) {
      if (!e.is_data_damage()) throw;
      // As restore does: the directory's entry stays, empty, and is named.
      leave_out(path, fmt::format("its contents, because its listing cannot be read ({}); the "
                                  "directory itself is archived empty",
                                  e.what()));
      return;
    }
    std::size_t announced = 0;
    for (std::size_t i = 0; i < tree->nodes.size(); ++i) {
      if (i >= announced) announced = announce(*tree, i);
      const Node& node = tree->nodes[i];
      entry(node, util::join_path(path, node.name),
            archived.empty() ? node.name : archived + "/" + node.name);
    }
  }

  // The files from `from` up to the next directory or large file, in the
  // order they are dumped, so the prefetcher loads ahead across small files.
  // Returns where to announce next.
  std::size_t announce(const Tree& tree, std::size_t from) {
    std::vector<BlobId> ids;
    std::size_t i = from;
    for (; i < tree.nodes.size(); ++i) {
      const Node& node = tree.nodes[i];
      if (node.type == NodeType::dir) break;
      if (node.type != NodeType::file) continue;
      if (node.size > k_checked_file_size) break; // read twice: announced by entry()
      ids.insert(ids.end(), node.content.begin(), node.content.end());
    }
    m_prefetch.expect(ids);
    return i + 1;
  }

  void entry(const Node& node, const std::string& path, const std::string& archived) {
    poll_cancel();
    if (node.type == NodeType::dir) {
      if (!node.subtree)
        throw Error(
            Code::integrity,
            fmt::format("the snapshot holds the directory {} without its contents", shown(path)));
      m_writer->begin(archived, node);
      ++m_result.entries;
      walk(*node.subtree, path, archived);
      return;
    }
    if (node.type == NodeType::socket) return; // meaningless outside its process
    if (node.type != NodeType::file) {
      if (!m_hardlinks && node.type != NodeType::symlink) {
        m_reporter.unsupported(
            path, fmt::format("a zip archive cannot hold a {}", node_type_name(node.type)));
        return;
      }
      m_writer->begin(archived, node);
      ++m_result.entries;
      return;
    }
    if (node.links > 1 && m_hardlinks) {
      const auto first = m_links.find({node.device_id, node.inode});
      if (first != m_links.end() && first->second.second == node.content) {
        m_writer->begin(archived, node, first->second.first);
        ++m_result.entries;
        return;
      }
    }
    for (const auto& id : node.content)
      if (!m_repo.index().find(id)) {
        leave_out(path,
                  fmt::format("data blob {} is not in the repository's index", blob_id_hex(id)));
        return;
      }
    // Every blob is read and authenticated before the entry starts, so
    // damage costs only this file, named, and the archive stays complete.
    std::string damage;
    if (node.size <= k_checked_file_size) {
      std::vector<Bytes> blobs;
      if (!take_all(node, damage, [&](Bytes blob) { blobs.push_back(std::move(blob)); })) {
        leave_out(path, damage);
        return;
      }
      m_writer->begin(archived, node);
      ++m_result.entries;
      for (const auto& blob : blobs) {
        m_writer->data(blob);
        m_result.bytes += blob.size();
      }
    } else {
      // Too large to hold: a first pass authenticates, a second writes.
      m_prefetch.expect(node.content);
      if (!take_all(node, damage, [](const Bytes&) {})) {
        leave_out(path, damage);
        return;
      }
      m_prefetch.expect(node.content);
      m_writer->begin(archived, node);
      ++m_result.entries;
      stream(node, path, [&](ByteView bytes) { m_writer->data(bytes); });
    }
    if (node.links > 1 && m_hardlinks)
      m_links.emplace(std::make_pair(node.device_id, node.inode),
                      std::make_pair(archived, node.content));
  }

  void leave_out(const std::string& path, const std::string& why) {
    ++m_result.left_out;
    m_reporter.left_out(path, why);
  }

  // Hands every blob of a file to `use`; false and why when one is damaged
  // or missing or they do not add up to the recorded size.
  template <class Use> bool take_all(const Node& node, std::string& damage, Use&& use) {
    std::uint64_t total = 0;
    for (const auto& id : node.content) {
      poll_cancel();
      Bytes blob;
      try {
        blob = m_prefetch.take(id);
      } catch (const Error& e) {
        if (!e.is_data_damage()) throw;
        damage = fmt::format("its data is damaged or missing ({})", e.what());
        return false;
      }
      total += blob.size();
      use(std::move(blob));
    }
    if (total == node.size) return true;
    damage = fmt::format("it holds {} bytes but its recorded size is {}", total, node.size);
    return false;
  }

  template <class Write> void stream(const Node& node, const std::string& path, Write&& write) {
    std::uint64_t written = 0;
    for (const auto& id : node.content) {
      poll_cancel();
      Bytes data;
      try {
        data = m_prefetch.take(id);
      } catch (const Error& e) {
        if (!e.is_data_damage()) throw;
        throw Error(Code::integrity,
                    fmt::format("dump stopped at {}: its data is damaged or missing ({}){}",
                                shown(path), e.what(),
                                m_writer ? "; the archive is cut short" : ""),
                    "run offsite check --read-data to see the damage; exclude that file or "
                    "restore the rest with offsite restore, which goes on past damage");
      }
      // A snapshot's size is what the archive header promised: never more.
      if (written + data.size() > node.size && m_writer)
        throw Error(Code::integrity, fmt::format("{} holds more bytes than its recorded size of {}",
                                                 shown(path), node.size));
      write(ByteView(data));
      written += data.size();
      m_result.bytes += data.size();
    }
    if (written != node.size && m_writer)
      throw Error(Code::integrity, fmt::format("{} holds {} bytes but its recorded size is {}",
                                               shown(path), written, node.size));
  }

  void poll_cancel() {
    if (m_reporter.cancelled()) throw Error(Code::interrupted, "dump interrupted");
  }

  Repository& m_repo;
  ByteSink& m_sink;
  DumpReporter& m_reporter;
  TreeLoader m_trees;
  BlobPrefetcher m_prefetch;
  ArchiveWriter* m_writer = nullptr;
  bool m_hardlinks = false;
  DumpResult m_result;
  // (device, inode) -> (archive path, content) of a hardlink's first name.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::pair<std::string, std::vector<BlobId>>>
      m_links;
};

} // namespace

DumpResult dump(Repository& repo, const Snapshot& snapshot, const DumpOptions& options,
                ByteSink& sink, DumpReporter& reporter) {
  TreeLoader trees(repo);
  const restore_detail::RestoreRoot root = restore_detail::resolve_sub_path(
      trees, snapshot.tree, options.path, snapshot.id.substr(0, 8));
  Dumper dumper(repo, sink, reporter);
  const bool directory = !root.node || root.node->type == NodeType::dir;
  if (!directory && !options.archive) return dumper.raw(*root.node, root.path);
  return dumper.archive(options.archive.value_or(ArchiveFormat::tar), root.node, snapshot.tree,
                        root.path);
}

} // namespace offsite::core
