#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/format/tree.hpp"

using namespace offsite;
using namespace offsite::core;
using nlohmann::json;

TEST_SUITE_BEGIN("core::Tree");

namespace {

BlobId id_filled(std::uint8_t b) {
  BlobId id{};
  id.fill(b);
  return id;
}

Node full_file_node() {
  Node n;
  n.name = "file";
  n.type = NodeType::file;
  n.mode = 04755;
  n.uid = 1000;
  n.gid = 100;
  n.user = "alice";
  n.group = "users";
  n.mtime_ns = 1'700'000'000'123'456'789;
  n.atime_ns = -5; // before 1970
  n.ctime_ns = 1'700'000'001'000'000'000;
  n.size = 5'000'000'000ULL;
  n.inode = 0xFFFF'FFFF'FFFF'FFFFULL;
  n.device_id = 2049;
  n.links = 3;
  n.sparse = true;
  n.xattrs = {{"user.a", std::string("\x00\x01\xff", 3)}, {"user.empty", ""}};
  n.content = {id_filled(1), id_filled(2), id_filled(1)};
  return n;
}

void check_equal(const Node& a, const Node& b) {
  CHECK(a.name == b.name);
  CHECK(a.type == b.type);
  CHECK(a.mode == b.mode);
  CHECK(a.uid == b.uid);
  CHECK(a.gid == b.gid);
  CHECK(a.user == b.user);
  CHECK(a.group == b.group);
  CHECK(a.mtime_ns == b.mtime_ns);
  CHECK(a.atime_ns == b.atime_ns);
  CHECK(a.ctime_ns == b.ctime_ns);
  CHECK(a.size == b.size);
  CHECK(a.inode == b.inode);
  CHECK(a.device_id == b.device_id);
  CHECK(a.links == b.links);
  CHECK(a.rdev == b.rdev);
  CHECK(a.sparse == b.sparse);
  CHECK(a.link_target == b.link_target);
  CHECK(a.xattrs == b.xattrs);
  CHECK(a.content == b.content);
  CHECK(a.subtree == b.subtree);
}

json node_json(const Node& n) {
  Tree t;
  t.nodes.push_back(n);
  return json::from_cbor(encode_tree(t))["nodes"][0];
}

Bytes tree_with_node(const json& node) {
  return json::to_cbor(json{{"v", 1}, {"nodes", json::array({node})}});
}

// The encoder trees were written with before util::CborWriter: a json
// document through nlohmann's to_cbor. Trees already stored must encode to
// the same bytes, or every unchanged directory would get a new ID.
json::binary_t binary_of(std::string_view s) {
  return json::binary_t(std::vector<std::uint8_t>(s.begin(), s.end()));
}
json::binary_t binary_of(const BlobId& id) {
  return json::binary_t(std::vector<std::uint8_t>(id.begin(), id.end()));
}
json reference_node(const Node& node) {
  json j = json::object();
  j["n"] = binary_of(node.name);
  j["t"] = static_cast<std::uint32_t>(node.type);
  if (node.mode != 0) j["m"] = node.mode;
  if (node.uid != 0) j["u"] = node.uid;
  if (node.gid != 0) j["g"] = node.gid;
  if (!node.user.empty()) j["un"] = binary_of(node.user);
  if (!node.group.empty()) j["gn"] = binary_of(node.group);
  if (node.mtime_ns != 0) j["mt"] = node.mtime_ns;
  if (node.atime_ns != 0) j["at"] = node.atime_ns;
  if (node.ctime_ns != 0) j["ct"] = node.ctime_ns;
  if (node.size != 0) j["s"] = node.size;
  if (node.inode != 0) j["i"] = node.inode;
  if (node.device_id != 0) j["d"] = node.device_id;
  if (node.links != 1) j["l"] = node.links;
  if (node.rdev != 0) j["r"] = node.rdev;
  if (node.sparse) j["sp"] = true;
  if (!node.link_target.empty()) j["lt"] = binary_of(node.link_target);
  if (!node.xattrs.empty()) {
    json xs = json::array();
    for (const auto& [name, value] : node.xattrs)
      xs.push_back(json::array({binary_of(name), binary_of(value)}));
    j["x"] = std::move(xs);
  }
  if (!node.content.empty()) {
    json cs = json::array();
    for (const auto& id : node.content)
      cs.push_back(binary_of(id));
    j["c"] = std::move(cs);
  }
  if (node.subtree) j["st"] = binary_of(*node.subtree);
  return j;
}
Bytes reference_encode(const Tree& tree) {
  json nodes = json::array();
  for (const auto& node : tree.nodes)
    nodes.push_back(reference_node(node));
  json doc = json::object();
  doc["v"] = 1;
  doc["nodes"] = std::move(nodes);
  return json::to_cbor(doc);
}

} // namespace

TEST_CASE("given nodes with every field at and around its size boundaries when encoded then the "
          "bytes are those trees were always written in") {
  std::uint64_t x = 88172645463325252ULL; // xorshift: the same nodes every run
  const auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const auto pick = [&](std::uint64_t mask) -> std::uint64_t {
    const std::uint64_t edges[] = {0, 1, 23, 24, 255, 256, 65535, 65536, 0xffffffffULL, 1ULL << 32};
    return next() % 3 == 0 ? edges[next() % 10] & mask : next() & mask;
  };
  Tree tree;
  for (int i = 0; i < 300; ++i) {
    Node n;
    n.name = std::string(static_cast<std::size_t>(next() % 40), static_cast<char>(next()));
    n.type = static_cast<NodeType>(next() % 7);
    n.mode = static_cast<std::uint32_t>(pick(07777));
    n.uid = static_cast<std::uint32_t>(pick(0xffffffff));
    n.gid = static_cast<std::uint32_t>(pick(0xffffffff));
    if (next() % 2) n.user = "user" + std::to_string(i);
    if (next() % 2) n.group = std::string(300, 'g');
    n.mtime_ns = static_cast<std::int64_t>(pick(UINT64_MAX));
    n.atime_ns = -static_cast<std::int64_t>(pick(0xffffffffffffULL));
    n.ctime_ns = static_cast<std::int64_t>(pick(UINT64_MAX));
    n.size = pick(UINT64_MAX);
    n.inode = pick(UINT64_MAX);
    n.device_id = pick(0xffff);
    n.links = static_cast<std::uint32_t>(pick(0xffffffff));
    n.rdev = pick(0xff);
    n.sparse = next() % 2 == 0;
    if (next() % 3 == 0) n.link_target = std::string(static_cast<std::size_t>(next() % 300), 'l');
    for (std::uint64_t k = next() % 3; k > 0; --k)
      n.xattrs.emplace_back("user.a" + std::to_string(k),
                            std::string(static_cast<std::size_t>(next() % 70000 % 300), 'v'));
    for (std::uint64_t k = next() % 30; k > 0; --k)
      n.content.push_back(id_filled(static_cast<std::uint8_t>(next())));
    if (next() % 2) n.subtree = id_filled(static_cast<std::uint8_t>(next()));
    tree.nodes.push_back(n);
  }
  CHECK(encode_tree(tree) == reference_encode(tree));
  CHECK(encode_tree(Tree{}) == reference_encode(Tree{}));
  Tree one;
  one.nodes.push_back(full_file_node());
  CHECK(encode_tree(one) == reference_encode(one));
}

TEST_CASE("given nodes of every type when encoded and decoded then every field survives") {
  Tree tree;
  tree.nodes.push_back(full_file_node());
  Node dir;
  dir.name = "dir";
  dir.type = NodeType::dir;
  dir.mode = 0755;
  dir.subtree = id_filled(0xAB);
  tree.nodes.push_back(dir);
  Node link;
  link.name = "link";
  link.type = NodeType::symlink;
  link.link_target = std::string("../t\xff\nx", 7);
  tree.nodes.push_back(link);
  Node dev;
  dev.name = "sda";
  dev.type = NodeType::blockdev;
  dev.rdev = (8u << 8) | 1u;
  tree.nodes.push_back(dev);
  for (NodeType t : {NodeType::fifo, NodeType::chardev, NodeType::socket}) {
    Node n;
    n.name = std::string(node_type_name(t));
    n.type = t;
    tree.nodes.push_back(n);
  }

  Tree back = decode_tree(encode_tree(tree));
  REQUIRE(back.nodes.size() == tree.nodes.size());
  for (std::size_t i = 0; i < tree.nodes.size(); ++i)
    check_equal(back.nodes[i], tree.nodes[i]);
}

TEST_CASE("given hostile raw byte names when round-tripped then the bytes are unchanged") {
  Tree tree;
  for (const std::string& name :
       {std::string("new\nline"), std::string("\xff\xfe", 2), std::string(255, 'x'),
        std::string("-rf"), std::string(" a b "), std::string("\xc3\x28 bad utf8")}) {
    Node n;
    n.name = name;
    n.user = "\xff user";
    tree.nodes.push_back(n);
  }
  Tree back = decode_tree(encode_tree(tree));
  REQUIRE(back.nodes.size() == tree.nodes.size());
  for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
    CHECK(back.nodes[i].name == tree.nodes[i].name);
    CHECK(back.nodes[i].user == tree.nodes[i].user);
  }
  // Stored as CBOR byte strings, not text.
  CHECK(json::from_cbor(encode_tree(tree))["nodes"][0]["n"].is_binary());
}

TEST_CASE("given a node with default fields when encoded then only name and type are written") {
  Node n;
  n.name = "a";
  json j = node_json(n);
  CHECK(j.size() == 2);
  CHECK(j.contains("n"));
  CHECK(j.contains("t"));
  // A realistic file node stays compact.
  Tree t;
  t.nodes.push_back(full_file_node());
  CHECK(encode_tree(t).size() < 300);
}

TEST_CASE("given an empty tree when round-tripped then it stays empty") {
  CHECK(decode_tree(encode_tree(Tree{})).nodes.empty());
}

TEST_CASE("given unsorted and duplicate names when decoded then they are not judged here") {
  Tree tree;
  for (const char* name : {"b", "a", "a", "..", "x/y"}) {
    Node n;
    n.name = name;
    tree.nodes.push_back(n);
  }
  Tree back = decode_tree(encode_tree(tree));
  REQUIRE(back.nodes.size() == 5);
  CHECK(back.nodes[0].name == "b");
  CHECK(back.nodes[3].name == "..");
}

TEST_CASE("given malformed tree blobs when decoded then Error(integrity) is thrown") {
  auto expect_integrity = [](const Bytes& data) {
    try {
      decode_tree(data);
      FAIL("decode_tree accepted a malformed tree");
    } catch (const Error& e) {
      CHECK(e.code() == Code::integrity);
    }
  };
  Node base;
  base.name = "f";
  json good = node_json(base);

  SUBCASE("not CBOR") { expect_integrity(Bytes{0xff, 0x00, 0x13}); }
  SUBCASE("empty input") { expect_integrity(Bytes{}); }
  SUBCASE("trailing bytes") {
    Bytes b = encode_tree(Tree{});
    b.push_back(0);
    expect_integrity(b);
  }
  SUBCASE("top level is an array") { expect_integrity(json::to_cbor(json::array())); }
  SUBCASE("nested deeper than a tree, as deep as would overflow the parser's stack") {
    // Before the depth check a stack overflow (tests/fuzz/crashers/tree/ replays it).
    Bytes b = json::to_cbor(json{{"v", 1}});
    b[0] = 0xa2; // a map of two pairs; the second is "nodes": [[[[...]]]]
    const Bytes key = json::to_cbor(json("nodes"));
    b.insert(b.end(), key.begin(), key.end());
    b.insert(b.end(), 200000, 0x81);
    b.push_back(0x80);
    expect_integrity(b);
  }
  SUBCASE("unknown version") {
    expect_integrity(json::to_cbor(json{{"v", 2}, {"nodes", json::array()}}));
  }
  SUBCASE("missing nodes") { expect_integrity(json::to_cbor(json{{"v", 1}})); }
  SUBCASE("nodes is a map") {
    expect_integrity(json::to_cbor(json{{"v", 1}, {"nodes", json::object()}}));
  }
  SUBCASE("a map key that is not text") {
    Bytes b = tree_with_node(good);
    const Bytes v = json::to_cbor(json("v"));
    const auto at = std::search(b.begin(), b.end(), v.begin(), v.end());
    REQUIRE(at != b.end());
    *at = 0x41; // the top level's "v" as a byte string
    expect_integrity(b);
  }
  SUBCASE("an unknown key holding a tag") {
    Bytes b = tree_with_node(good);
    b.insert(b.end(), {0x62, 'z', 'z', 0xc1, 0x00}); // "zz": 1(0), a tagged value
    b[0] = 0xa3;
    expect_integrity(b);
  }
  SUBCASE("an unknown key holding the simple value undefined") {
    Bytes b = tree_with_node(good);
    b.insert(b.end(), {0x62, 'z', 'z', 0xf7});
    b[0] = 0xa3;
    expect_integrity(b);
  }
  SUBCASE("cut short inside a name") {
    // {"v": 1, "nodes": [{"t": 0, "n": h'666f6f'}]}, its last two bytes gone.
    expect_integrity(Bytes{0xa2, 0x61, 'v', 0x01, 0x65, 'n', 'o', 'd', 'e', 's', 0x81, 0xa2, 0x61,
                           't', 0x00, 0x61, 'n', 0x43, 'f'});
  }
  SUBCASE("node is not a map") { expect_integrity(tree_with_node(json(5))); }
  SUBCASE("name is a text string") {
    json j = good;
    j["n"] = "f";
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("missing name") {
    json j = good;
    j.erase("n");
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("missing type") {
    json j = good;
    j.erase("t");
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("unknown node type") {
    json j = good;
    j["t"] = 7;
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("negative size") {
    json j = good;
    j["s"] = -1;
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("uid above 32 bits") {
    json j = good;
    j["u"] = 1ULL << 32;
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("mode beyond 07777") {
    json j = good;
    j["m"] = 010000;
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("mtime is a string") {
    json j = good;
    j["mt"] = "yesterday";
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("content id of 31 bytes") {
    json j = good;
    j["c"] = json::array({json::binary_t(std::vector<std::uint8_t>(31, 1))});
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("content is not an array") {
    json j = good;
    j["c"] = json::binary_t(std::vector<std::uint8_t>(32, 1));
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("xattr is not a pair") {
    json j = good;
    j["x"] = json::array({json::array({json::binary_t(std::vector<std::uint8_t>{1})})});
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("sparse is not a boolean") {
    json j = good;
    j["sp"] = 1;
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("directory without subtree") {
    json j = good;
    j["t"] = static_cast<int>(NodeType::dir);
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("subtree of 33 bytes") {
    json j = good;
    j["t"] = static_cast<int>(NodeType::dir);
    j["st"] = json::binary_t(std::vector<std::uint8_t>(33, 1));
    expect_integrity(tree_with_node(j));
  }
  SUBCASE("symlink with content") {
    json j = good;
    j["t"] = static_cast<int>(NodeType::symlink);
    j["c"] = json::array({json::binary_t(std::vector<std::uint8_t>(32, 1))});
    expect_integrity(tree_with_node(j));
  }
}

TEST_CASE("given an unknown key when decoded then it is ignored for forward compatibility") {
  Node n;
  n.name = "f";
  json j = node_json(n);
  SUBCASE("an integer") { j["future"] = 42; }
  SUBCASE("nested containers, a float, null and text") {
    j["future"] = json{{"a", json::array({1.5, nullptr, "text", json::array({-7, true})})}};
  }
  CHECK(decode_tree(tree_with_node(j)).nodes.at(0).name == "f");
  json top = json::parse(R"({"v": 1, "zz": {"later": [1, 2]}})");
  top["nodes"] = json::array({j});
  CHECK(decode_tree(json::to_cbor(top)).nodes.at(0).name == "f");
}

TEST_CASE("given a key written twice when decoded then its last value counts, as in a document") {
  Node n;
  n.name = "f";
  Bytes b = tree_with_node(node_json(n)); // {"nodes": [{"n": h'66', "t": 0}], "v": 1}
  // The node map {"n": h'66', "t": 0} is followed by the top level's "v";
  // append a second "s" by hand: nlohmann's json cannot hold a key twice.
  const Bytes node = json::to_cbor(node_json(n));
  const auto at = std::search(b.begin(), b.end(), node.begin(), node.end());
  REQUIRE(at != b.end());
  const auto pos = static_cast<std::size_t>(at - b.begin());
  Bytes twice = json::to_cbor(json{{"s", 5}});
  const Bytes again = json::to_cbor(json{{"s", 7}});
  Bytes fields(node.begin() + 1, node.end());
  fields.insert(fields.end(), twice.begin() + 1, twice.end());
  fields.insert(fields.end(), again.begin() + 1, again.end());
  fields.insert(fields.begin(), static_cast<std::uint8_t>(0xa0 | 4)); // a map of 4 entries
  b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos),
          b.begin() + static_cast<std::ptrdiff_t>(pos + node.size()));
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), fields.begin(), fields.end());
  CHECK(decode_tree(b).nodes.at(0).size == 7);
}

TEST_CASE(
    "given the version before the nodes when decoded then the order of keys does not matter") {
  Node n;
  n.name = "f";
  Bytes b = json::to_cbor(json{{"v", 1}});
  b[0] = 0xa2; // {"v": 1, "nodes": [node]}
  const Bytes key = json::to_cbor(json("nodes"));
  const Bytes nodes = json::to_cbor(json::array({node_json(n)}));
  b.insert(b.end(), key.begin(), key.end());
  b.insert(b.end(), nodes.begin(), nodes.end());
  CHECK(decode_tree(b).nodes.at(0).name == "f");
}

TEST_CASE("given counts beyond the bytes present when decoded then they are refused before "
          "anything is reserved") {
  auto expect_integrity = [](const Bytes& data) { CHECK_THROWS_AS(decode_tree(data), Error); };
  const Bytes key = json::to_cbor(json("nodes"));
  Bytes b = json::to_cbor(json{{"v", 1}});
  b[0] = 0xa2;
  b.insert(b.end(), key.begin(), key.end());
  SUBCASE("four billion nodes") {
    b.insert(b.end(), {0x9b, 0, 0, 0, 1, 0, 0, 0, 0}); // an array of 2^32 items
    expect_integrity(b);
  }
  SUBCASE("a node of four billion fields") {
    b.insert(b.end(), {0x81, 0xba, 0xff, 0xff, 0xff, 0xff});
    expect_integrity(b);
  }
  SUBCASE("content of forty one-byte items where 33-byte IDs belong") {
    b.insert(b.end(), {0x81, 0xa3, 0x61, 'n', 0x41, 'f', 0x61, 't', 0x00, 0x61, 'c', 0x98, 40});
    b.insert(b.end(), 40, 0x00);
    try {
      decode_tree(b);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("field \"c\" is cut short") != std::string::npos);
    }
  }
  SUBCASE("content of four billion IDs") {
    b.insert(b.end(), {0x81, 0xa3, 0x61, 'n', 0x41, 'f', 0x61, 't', 0x00, 0x61, 'c', 0x9a, 0xff,
                       0xff, 0xff, 0xff});
    expect_integrity(b);
  }
}

TEST_CASE("given names when judged then only single safe components pass") {
  CHECK(is_safe_node_name("a"));
  CHECK(is_safe_node_name("..."));
  CHECK(is_safe_node_name(".hidden"));
  CHECK(is_safe_node_name(std::string("\xff\nx", 3)));
  CHECK_FALSE(is_safe_node_name(""));
  CHECK_FALSE(is_safe_node_name("."));
  CHECK_FALSE(is_safe_node_name(".."));
  CHECK_FALSE(is_safe_node_name("a/b"));
  CHECK_FALSE(is_safe_node_name("/"));
  CHECK_FALSE(is_safe_node_name(std::string("a\0b", 3)));
}

TEST_CASE("given node types when named then the names are stable") {
  CHECK(node_type_name(NodeType::file) == "file");
  CHECK(node_type_name(NodeType::dir) == "dir");
  CHECK(node_type_name(NodeType::symlink) == "symlink");
  CHECK(node_type_name(NodeType::blockdev) == "blockdev");
}

TEST_SUITE_END();
