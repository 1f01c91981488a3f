// Tree encoding (the plaintext of a tree blob).
//
// A tree is one CBOR (RFC 8949) map, written and read by nlohmann::json:
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

namespace offsite::core {

namespace {

using nlohmann::json;

constexpr int k_tree_version = 1;
constexpr std::uint32_t k_max_node_type = static_cast<std::uint32_t>(NodeType::socket);
// A tree nests 5 containers deep (map, nodes, node, xattrs, pair); the rest
// is room for fields a later version may add. Checked before parsing, whose
// recursion a deeper document would overflow.
constexpr std::size_t k_max_tree_depth = 16;

json::binary_t to_binary(std::string_view s) {
  return json::binary_t(std::vector<std::uint8_t>(s.begin(), s.end()));
}

json::binary_t to_binary(const BlobId& id) {
  return json::binary_t(std::vector<std::uint8_t>(id.begin(), id.end()));
}

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

json encode_node(const Node& node) {
  json j = json::object();
  j["n"] = to_binary(node.name);
  j["t"] = static_cast<std::uint32_t>(node.type);
  if (node.mode != 0) j["m"] = node.mode;
  if (node.uid != 0) j["u"] = node.uid;
  if (node.gid != 0) j["g"] = node.gid;
  if (!node.user.empty()) j["un"] = to_binary(node.user);
  if (!node.group.empty()) j["gn"] = to_binary(node.group);
  if (node.mtime_ns != 0) j["mt"] = node.mtime_ns;
  if (node.atime_ns != 0) j["at"] = node.atime_ns;
  if (node.ctime_ns != 0) j["ct"] = node.ctime_ns;
  if (node.size != 0) j["s"] = node.size;
  if (node.inode != 0) j["i"] = node.inode;
  if (node.device_id != 0) j["d"] = node.device_id;
  if (node.links != 1) j["l"] = node.links;
  if (node.rdev != 0) j["r"] = node.rdev;
  if (node.sparse) j["sp"] = true;
  if (!node.link_target.empty()) j["lt"] = to_binary(node.link_target);
  if (!node.xattrs.empty()) {
    json xs = json::array();
    for (const auto& [name, value] : node.xattrs)
      xs.push_back(json::array({to_binary(name), to_binary(value)}));
    j["x"] = std::move(xs);
  }
  if (!node.content.empty()) {
    json cs = json::array();
    for (const auto& id : node.content)
      cs.push_back(to_binary(id));
    j["c"] = std::move(cs);
  }
  if (node.subtree) j["st"] = to_binary(*node.subtree);
  return j;
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
  json nodes = json::array();
  for (const auto& node : tree.nodes)
    nodes.push_back(encode_node(node));
  json doc = json::object();
  doc["v"] = k_tree_version;
  doc["nodes"] = std::move(nodes);
  return json::to_cbor(doc);
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
