// Tree encoding (the plaintext of a tree blob).
//
// A tree is one CBOR (RFC 8949) map, read by util::CborReader and written by
// util::CborWriter in the same bytes nlohmann's to_cbor gave:
//
//   {"v": 1, "nodes": [node, ...]}
//
// Every node is a map with short keys. A field equal to its default is left
// out, so a typical file node costs ~100 bytes:
//
//   key  field        CBOR type             default
//   n    name         byte string           (required)
//   t    type         uint (NodeType)       (required) 0 file, 1 dir, 2 symlink,
//                                                      3 fifo, 4 chardev, 5 blockdev, 6 socket
//   m    mode         uint <= 07777         0
//   u    uid          uint32                0
//   g    gid          uint32                0
//   un   user         byte string           ""
//   gn   group        byte string           ""
//   mt   mtime_ns     int64                 0
//   at   atime_ns     int64                 0
//   ct   ctime_ns     int64                 0
//   s    size         uint64                0
//   i    inode        uint64                0
//   d    device_id    uint64                0
//   l    links        uint32                1
//   r    rdev         uint64                0
//   sp   sparse       bool                  false
//   lt   link_target  byte string           ""
//   x    xattrs       array of [byte string name, byte string value]   []
//   c    content      array of 32-byte byte strings (file only)       []
//   st   subtree      32-byte byte string (dir only, required there)
//
// Why byte strings, not text strings: file names, link targets, user names and
// xattrs are raw bytes on POSIX. A CBOR text string must be UTF-8, and JSON
// tools would re-encode or reject invalid sequences; a byte string carries a
// name with "\xff\xfe" or a newline through unchanged.
//
// Unknown keys are ignored so a later version may add fields that old readers
// skip. Anything else that does not fit this table (wrong CBOR type, an
// integer out of range, an ID that is not 32 bytes, an unknown node type,
// trailing bytes) makes decode_tree throw Error(integrity). Names are not
// judged here: the restorer refuses unsafe ones with its own message.

#include "core/format/tree.hpp"

#include <limits>

#include "core/common/error.hpp"
#include "util/cbor_reader.hpp"
#include "util/cbor_writer.hpp"

namespace offsite::core {

namespace {

constexpr unsigned k_tree_version = 1;
constexpr std::uint32_t k_max_node_type = static_cast<std::uint32_t>(NodeType::socket);
// A tree nests 5 containers deep (map, nodes, node, xattrs, pair); the rest
// is room for fields a later version may add, whose values are skipped by
// a reader that recurses once per level.
constexpr std::size_t k_max_tree_depth = 16;

[[noreturn]] void malformed_tree(std::string_view what) {
  throw Error(Code::integrity, "malformed tree blob: " + std::string(what),
              "the repository holds a damaged tree; run \"offsite check\"");
}

// Reads a tree's CBOR straight into nodes. nlohmann's reader took twice as
// long, building a document of a dozen allocations per node first.
class TreeReader {
public:
  explicit TreeReader(ByteView data) : m_in(data) {}

  util::CborReader& in() { return m_in; }

  util::CborReader::Head head(std::string_view field) {
    const auto h = m_in.head();
    if (!h) malformed_tree("field \"" + std::string(field) + "\" is not valid CBOR");
    return *h;
  }

  std::string_view key() {
    const auto k = m_in.text();
    if (!k) malformed_tree("a map key is not a text string");
    return *k;
  }

  std::span<const std::uint8_t> bytes(std::string_view field) {
    const auto h = head(field);
    if (h.major != 2) malformed_tree("field \"" + std::string(field) + "\" is not a byte string");
    const auto p = m_in.payload(h.argument);
    if (!p) malformed_tree("field \"" + std::string(field) + "\" is cut short");
    return *p;
  }

  std::string string(std::string_view field) {
    const auto b = bytes(field);
    return std::string(b.begin(), b.end());
  }

  BlobId id(std::string_view field) {
    const auto b = bytes(field);
    BlobId id{};
    if (b.size() != id.size())
      malformed_tree("field \"" + std::string(field) + "\" is not a 32-byte ID");
    std::copy(b.begin(), b.end(), id.begin());
    return id;
  }

  std::uint64_t uint(std::string_view field, std::uint64_t max) {
    const auto h = head(field);
    if (h.major != 0)
      malformed_tree("field \"" + std::string(field) + "\" is not an unsigned integer");
    if (h.argument > max) malformed_tree("field \"" + std::string(field) + "\" is out of range");
    return h.argument;
  }

  std::int64_t int64(std::string_view field) {
    const auto h = head(field);
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (h.major != 0 && h.major != 1)
      malformed_tree("field \"" + std::string(field) + "\" is not an integer");
    if (h.argument > max) malformed_tree("field \"" + std::string(field) + "\" is out of range");
    const auto v = static_cast<std::int64_t>(h.argument);
    return h.major == 0 ? v : -1 - v;
  }

  bool boolean(std::string_view field) {
    const auto h = head(field);
    if (h.major != 7 || (h.info != 20 && h.info != 21))
      malformed_tree("field \"" + std::string(field) + "\" is not a boolean");
    return h.info == 21;
  }

  // The length of the array (major 4) or map (5) `what` whose head comes
  // next; `per_item`: the fewest bytes one item (map: entry) takes, so no
  // count beyond the bytes present is believed (or reserved).
  std::size_t container(std::uint8_t major, std::string_view what, std::size_t per_item) {
    const auto h = m_in.head();
    if (!h || h->major != major)
      malformed_tree(std::string(what) + (major == 5 ? " is not a map" : " is not an array"));
    if (h->argument > m_in.remaining() / per_item)
      malformed_tree(std::string(what) + " is cut short");
    return static_cast<std::size_t>(h->argument);
  }

  void skip_value() {
    if (!m_in.skip(k_max_tree_depth))
      malformed_tree("not valid CBOR, or nested deeper than a tree");
  }

private:
  util::CborReader m_in;
};

// The keys in the order nlohmann's std::map sorts them, which is the order
// the trees stored so far were written in: an unchanged directory must
// encode to the same bytes, hence the same tree ID.
void encode_node(util::CborWriter& w, const Node& node) {
  // At most 20 fields, so the map's head is one byte, counted at the end.
  const std::size_t head = w.small_map();
  std::size_t fields = 0;
  const auto key = [&](std::string_view name) {
    w.text(name);
    ++fields;
  };
  if (node.atime_ns != 0) {
    key("at");
    w.signed_int(node.atime_ns);
  }
  if (!node.content.empty()) {
    key("c");
    w.array(node.content.size());
    for (const auto& id : node.content)
      w.bytes(id);
  }
  if (node.ctime_ns != 0) {
    key("ct");
    w.signed_int(node.ctime_ns);
  }
  if (node.device_id != 0) {
    key("d");
    w.unsigned_int(node.device_id);
  }
  if (node.gid != 0) {
    key("g");
    w.unsigned_int(node.gid);
  }
  if (!node.group.empty()) {
    key("gn");
    w.bytes(node.group);
  }
  if (node.inode != 0) {
    key("i");
    w.unsigned_int(node.inode);
  }
  if (node.links != 1) {
    key("l");
    w.unsigned_int(node.links);
  }
  if (!node.link_target.empty()) {
    key("lt");
    w.bytes(node.link_target);
  }
  if (node.mode != 0) {
    key("m");
    w.unsigned_int(node.mode);
  }
  if (node.mtime_ns != 0) {
    key("mt");
    w.signed_int(node.mtime_ns);
  }
  key("n");
  w.bytes(node.name);
  if (node.rdev != 0) {
    key("r");
    w.unsigned_int(node.rdev);
  }
  if (node.size != 0) {
    key("s");
    w.unsigned_int(node.size);
  }
  if (node.sparse) {
    key("sp");
    w.boolean(true);
  }
  if (node.subtree) {
    key("st");
    w.bytes(*node.subtree);
  }
  key("t");
  w.unsigned_int(static_cast<std::uint32_t>(node.type));
  if (node.uid != 0) {
    key("u");
    w.unsigned_int(node.uid);
  }
  if (!node.user.empty()) {
    key("un");
    w.bytes(node.user);
  }
  if (!node.xattrs.empty()) {
    key("x");
    w.array(node.xattrs.size());
    for (const auto& [name, value] : node.xattrs) {
      w.array(2);
      w.bytes(name);
      w.bytes(value);
    }
  }
  w.end_small_map(head, fields);
}

Node decode_node(TreeReader& r) {
  const std::size_t fields = r.container(5, "a node", 2);
  Node node;
  bool named = false;
  bool typed = false;
  constexpr auto u32 = std::numeric_limits<std::uint32_t>::max();
  constexpr auto u64 = std::numeric_limits<std::uint64_t>::max();
  // A key given twice counts once, its last value, as in a json document.
  for (std::size_t f = 0; f < fields; ++f) {
    const std::string_view key = r.key();
    if (key == "n") {
      node.name = r.string(key);
      named = true;
    } else if (key == "t") {
      node.type = static_cast<NodeType>(r.uint(key, k_max_node_type));
      typed = true;
    } else if (key == "m")
      node.mode = static_cast<std::uint32_t>(r.uint(key, 07777));
    else if (key == "u")
      node.uid = static_cast<std::uint32_t>(r.uint(key, u32));
    else if (key == "g")
      node.gid = static_cast<std::uint32_t>(r.uint(key, u32));
    else if (key == "un")
      node.user = r.string(key);
    else if (key == "gn")
      node.group = r.string(key);
    else if (key == "mt")
      node.mtime_ns = r.int64(key);
    else if (key == "at")
      node.atime_ns = r.int64(key);
    else if (key == "ct")
      node.ctime_ns = r.int64(key);
    else if (key == "s")
      node.size = r.uint(key, u64);
    else if (key == "i")
      node.inode = r.uint(key, u64);
    else if (key == "d")
      node.device_id = r.uint(key, u64);
    else if (key == "l")
      node.links = static_cast<std::uint32_t>(r.uint(key, u32));
    else if (key == "r")
      node.rdev = r.uint(key, u64);
    else if (key == "sp")
      node.sparse = r.boolean(key);
    else if (key == "lt")
      node.link_target = r.string(key);
    else if (key == "x") {
      // A pair is a head and two byte-string heads: at least 3 bytes.
      const std::size_t n = r.container(4, "field \"x\"", 3);
      node.xattrs.clear();
      node.xattrs.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto h = r.in().head();
        if (!h || h->major != 4 || h->argument != 2)
          malformed_tree("an xattr is not a [name, value] pair");
        std::string name = r.string("x");
        node.xattrs.emplace_back(std::move(name), r.string("x"));
      }
    } else if (key == "c") {
      const std::size_t n = r.container(4, "field \"c\"", 1 + sizeof(BlobId));
      node.content.clear();
      node.content.reserve(n);
      for (std::size_t i = 0; i < n; ++i)
        node.content.push_back(r.id(key));
    } else if (key == "st")
      node.subtree = r.id(key);
    else
      r.skip_value(); // a later version's field
  }

  if (!named) malformed_tree("a node has no name");
  if (!typed) malformed_tree("node has no type");
  if (node.type == NodeType::dir && !node.subtree)
    malformed_tree("a directory node has no subtree");
  if (node.type != NodeType::dir && node.subtree)
    malformed_tree("a non-directory node has a subtree");
  if (node.type != NodeType::file && !node.content.empty())
    malformed_tree("a node that is not a file has content");
  return node;
}

} // namespace

std::string_view node_type_name(NodeType type) {
  switch (type) {
  case NodeType::file: return "file";
  case NodeType::dir: return "dir";
  case NodeType::symlink: return "symlink";
  case NodeType::fifo: return "fifo";
  case NodeType::chardev: return "chardev";
  case NodeType::blockdev: return "blockdev";
  case NodeType::socket: return "socket";
  }
  return "unknown";
}

Bytes encode_tree(const Tree& tree) {
  util::CborWriter w;
  w.reserve(16 + tree.nodes.size() * 128);
  w.map(2); // {"nodes": [...], "v": 1}, keys sorted as nlohmann wrote them
  w.text("nodes");
  w.array(tree.nodes.size());
  for (const auto& node : tree.nodes)
    encode_node(w, node);
  w.text("v");
  w.unsigned_int(k_tree_version);
  return w.take();
}

Tree decode_tree(ByteView data) {
  TreeReader top(data);
  const std::size_t keys = top.container(5, "the top level", 2);
  // The nodes are read once the version is known to be this one: keys come
  // in any order ("nodes" sorts first), so their place is noted, not read.
  std::optional<ByteView> version;
  std::optional<ByteView> nodes;
  for (std::size_t k = 0; k < keys; ++k) {
    const std::string_view key = top.key();
    const std::size_t from = top.in().position();
    top.skip_value();
    const ByteView value = data.subspan(from, top.in().position() - from);
    if (key == "v")
      version = value;
    else if (key == "nodes")
      nodes = value;
  }
  if (!top.in().at_end()) malformed_tree("trailing bytes after the tree");
  const auto v = version ? util::CborReader(*version).head() : std::nullopt;
  if (!v || v->major != 0 || v->argument != k_tree_version) malformed_tree("unknown tree version");
  if (!nodes) malformed_tree("\"nodes\" is missing or not an array");

  TreeReader r(*nodes);
  // A node takes 7 bytes at least: a map head, "n" and a value, "t" and a value.
  const std::size_t count = r.container(4, "\"nodes\"", 7);
  Tree tree;
  tree.nodes.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    tree.nodes.push_back(decode_node(r));
  return tree;
}

bool is_safe_node_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

} // namespace offsite::core
