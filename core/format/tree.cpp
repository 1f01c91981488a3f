// Tree encoding (the plaintext of a tree blob).
//
// A tree is one CBOR (RFC 8949) map, read by nlohmann::json and written by
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

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "util/cbor_shape.hpp"
#include "util/cbor_writer.hpp"

namespace offsite::core {

namespace {

using nlohmann::json;

constexpr unsigned k_tree_version = 1;
constexpr std::uint32_t k_max_node_type = static_cast<std::uint32_t>(NodeType::socket);
// A tree nests 5 containers deep (map, nodes, node, xattrs, pair); the rest
// is room for fields a later version may add. Checked before parsing, whose
// recursion a deeper document would overflow.
constexpr std::size_t k_max_tree_depth = 16;

[[noreturn]] void malformed_tree(std::string_view what) {
  throw Error(Code::integrity, "malformed tree blob: " + std::string(what),
              "the repository holds a damaged tree; run \"offsite check\"");
}

std::string get_bytes(const json& v, std::string_view field) {
  if (!v.is_binary()) malformed_tree("field \"" + std::string(field) + "\" is not a byte string");
  const auto& b = v.get_binary();
  return std::string(b.begin(), b.end());
}

BlobId get_id(const json& v, std::string_view field) {
  if (!v.is_binary()) malformed_tree("field \"" + std::string(field) + "\" is not a byte string");
  const auto& b = v.get_binary();
  BlobId id{};
  if (b.size() != id.size())
    malformed_tree("field \"" + std::string(field) + "\" is not a 32-byte ID");
  std::copy(b.begin(), b.end(), id.begin());
  return id;
}

std::uint64_t get_uint(const json& v, std::string_view field, std::uint64_t max) {
  if (!v.is_number_unsigned())
    malformed_tree("field \"" + std::string(field) + "\" is not an unsigned integer");
  auto x = v.get<std::uint64_t>();
  if (x > max) malformed_tree("field \"" + std::string(field) + "\" is out of range");
  return x;
}

std::int64_t get_int(const json& v, std::string_view field) {
  // CBOR keeps non-negative integers as major type 0, which nlohmann reads
  // back as unsigned; both kinds are valid for a signed field.
  if (v.is_number_unsigned()) {
    auto x = v.get<std::uint64_t>();
    if (x > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      malformed_tree("field \"" + std::string(field) + "\" is out of range");
    return static_cast<std::int64_t>(x);
  }
  if (!v.is_number_integer())
    malformed_tree("field \"" + std::string(field) + "\" is not an integer");
  return v.get<std::int64_t>();
}

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

Node decode_node(const json& j) {
  if (!j.is_object()) malformed_tree("a node is not a map");
  Node node;
  auto name = j.find("n");
  if (name == j.end()) malformed_tree("a node has no name");
  node.name = get_bytes(*name, "n");
  auto type = j.find("t");
  if (type == j.end()) malformed_tree("node has no type");
  node.type = static_cast<NodeType>(get_uint(*type, "t", k_max_node_type));

  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    constexpr auto u32 = std::numeric_limits<std::uint32_t>::max();
    constexpr auto u64 = std::numeric_limits<std::uint64_t>::max();
    if (key == "m")
      node.mode = static_cast<std::uint32_t>(get_uint(v, key, 07777));
    else if (key == "u")
      node.uid = static_cast<std::uint32_t>(get_uint(v, key, u32));
    else if (key == "g")
      node.gid = static_cast<std::uint32_t>(get_uint(v, key, u32));
    else if (key == "un")
      node.user = get_bytes(v, key);
    else if (key == "gn")
      node.group = get_bytes(v, key);
    else if (key == "mt")
      node.mtime_ns = get_int(v, key);
    else if (key == "at")
      node.atime_ns = get_int(v, key);
    else if (key == "ct")
      node.ctime_ns = get_int(v, key);
    else if (key == "s")
      node.size = get_uint(v, key, u64);
    else if (key == "i")
      node.inode = get_uint(v, key, u64);
    else if (key == "d")
      node.device_id = get_uint(v, key, u64);
    else if (key == "l")
      node.links = static_cast<std::uint32_t>(get_uint(v, key, u32));
    else if (key == "r")
      node.rdev = get_uint(v, key, u64);
    else if (key == "sp") {
      if (!v.is_boolean()) malformed_tree("field \"sp\" is not a boolean");
      node.sparse = v.get<bool>();
    } else if (key == "lt")
      node.link_target = get_bytes(v, key);
    else if (key == "x") {
      if (!v.is_array()) malformed_tree("field \"x\" is not an array");
      for (const auto& pair : v) {
        if (!pair.is_array() || pair.size() != 2)
          malformed_tree("an xattr is not a [name, value] pair");
        node.xattrs.emplace_back(get_bytes(pair[0], "x"), get_bytes(pair[1], "x"));
      }
    } else if (key == "c") {
      if (!v.is_array()) malformed_tree("field \"c\" is not an array");
      node.content.reserve(v.size());
      for (const auto& id : v)
        node.content.push_back(get_id(id, key));
    } else if (key == "st")
      node.subtree = get_id(v, key);
  }

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
  if (!util::is_shallow_cbor(data, k_max_tree_depth))
    malformed_tree("not valid CBOR of definite lengths, or nested deeper than a tree");
  json doc;
  try {
    doc = json::from_cbor(data.begin(), data.end(), /*strict=*/true, /*allow_exceptions=*/true,
                          json::cbor_tag_handler_t::error);
  } catch (const json::exception& e) {
    malformed_tree(std::string("not valid CBOR (") + e.what() + ")");
  }
  if (!doc.is_object()) malformed_tree("the top level is not a map");
  auto version = doc.find("v");
  if (version == doc.end() || !version->is_number_unsigned() ||
      version->get<std::uint64_t>() != k_tree_version)
    malformed_tree("unknown tree version");
  auto nodes = doc.find("nodes");
  if (nodes == doc.end() || !nodes->is_array())
    malformed_tree("\"nodes\" is missing or not an array");
  Tree tree;
  tree.nodes.reserve(nodes->size());
  for (const auto& j : *nodes)
    tree.nodes.push_back(decode_node(j));
  return tree;
}

bool is_safe_node_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

} // namespace offsite::core
