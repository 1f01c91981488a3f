#include <doctest/doctest.h>

#include <map>
#include <string>

#include "core/common/error.hpp"
#include "core/mount/snapshot_fs.hpp"

using namespace offsite;
using namespace offsite::core;
using namespace offsite::core::mount;

namespace {

BlobId id_of(std::uint8_t n) {
  BlobId id{};
  id[0] = n;
  return id;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Blobs in a map; counts loads; blobs in `damaged` fail like a bad pack.
class MapSource final : public BlobSource {
public:
  Bytes load(BlobType, const BlobId& id) override {
    ++loads;
    if (damaged.contains(id[0])) throw Error(Code::integrity, "blob failed authentication");
    const auto it = blobs.find(id[0]);
    if (it == blobs.end()) throw Error(Code::not_found, "blob missing");
    return it->second;
  }
  std::optional<std::uint64_t> plain_length(const BlobId& id) override {
    const auto it = blobs.find(id[0]);
    if (it == blobs.end()) return std::nullopt;
    return it->second.size();
  }
  std::map<std::uint8_t, Bytes> blobs;
  std::map<std::uint8_t, bool> damaged;
  int loads = 0;
};

Node file_node(const std::string& name, std::vector<BlobId> content, std::uint64_t size) {
  Node node;
  node.name = name;
  node.mode = 0640;
  node.size = size;
  node.content = std::move(content);
  return node;
}

Snapshot snapshot(const std::string& id, std::int64_t seconds, const std::string& host,
                  std::vector<std::string> tags, const BlobId& tree) {
  Snapshot s;
  s.id = id;
  s.time_ns = seconds * k_ns_per_second;
  s.host = host;
  s.tags = std::move(tags);
  s.tree = tree;
  return s;
}

// Two snapshots: web1 (tag daily) with /etc/hosts and /big (3 blobs), and a
// newer one of db1 holding only /etc.
struct Fixture {
  MapSource source;
  Fixture() {
    source.blobs[10] = text("0123456789");
    source.blobs[11] = text("abcdefghij");
    source.blobs[12] = text("XYZ");
    source.blobs[13] = text("127.0.0.1 localhost\n");
    Tree etc;
    etc.nodes.push_back(file_node("hosts", {id_of(13)}, 20));
    source.blobs[2] = encode_tree(etc);
    Tree root;
    root.nodes.push_back(file_node("big", {id_of(10), id_of(11), id_of(12)}, 23));
    Node dir;
    dir.name = "etc";
    dir.type = NodeType::dir;
    dir.mode = 0755;
    dir.subtree = id_of(2);
    root.nodes.push_back(dir);
    Node bad;
    bad.name = "..";
    root.nodes.push_back(bad);
    source.blobs[1] = encode_tree(root);
    Tree only_etc;
    only_etc.nodes.push_back(dir);
    source.blobs[3] = encode_tree(only_etc);
  }
  std::vector<Snapshot> snapshots() {
    return {snapshot("aaaa1111ffff", 1'700'000'100, "db1", {}, id_of(3)),
            snapshot("bbbb2222ffff", 1'700'000'000, "web1", {"daily"}, id_of(1))};
  }
};

std::vector<std::string> names(const std::vector<FsEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries)
    out.push_back(e.node.name);
  return out;
}

} // namespace

TEST_CASE("plan_read maps a range onto the blobs that cover it") {
  const std::vector<std::uint64_t> lengths{10, 10, 3};
  SUBCASE("inside one blob") {
    const auto p = plan_read(lengths, 2, 5);
    REQUIRE(p.size() == 1);
    CHECK(p[0].blob == 0);
    CHECK(p[0].from == 2);
    CHECK(p[0].count == 5);
  }
  SUBCASE("spanning blobs") {
    const auto p = plan_read(lengths, 8, 14);
    REQUIRE(p.size() == 3);
    CHECK((p[0].blob == 0 && p[0].from == 8 && p[0].count == 2));
    CHECK((p[1].blob == 1 && p[1].from == 0 && p[1].count == 10));
    CHECK((p[2].blob == 2 && p[2].from == 0 && p[2].count == 2));
  }
  SUBCASE("past the end") {
    CHECK(plan_read(lengths, 23, 10).empty());
    CHECK(plan_read(lengths, 100, 10).empty());
    const auto p = plan_read(lengths, 21, 100);
    REQUIRE(p.size() == 1);
    CHECK((p[0].blob == 2 && p[0].from == 1 && p[0].count == 2));
  }
  SUBCASE("starting exactly at a blob boundary") {
    const auto p = plan_read(lengths, 10, 10);
    REQUIRE(p.size() == 1);
    CHECK((p[0].blob == 1 && p[0].from == 0 && p[0].count == 10));
  }
}

TEST_CASE("the blob cache keeps its bytes within the budget, least recently used out first") {
  BlobCache cache(25);
  cache.put(id_of(1), std::make_shared<const Bytes>(Bytes(10)));
  cache.put(id_of(2), std::make_shared<const Bytes>(Bytes(10)));
  CHECK(cache.find(id_of(1)) != nullptr); // 1 is now the most recent
  cache.put(id_of(3), std::make_shared<const Bytes>(Bytes(10)));
  CHECK(cache.bytes() <= 25);
  CHECK(cache.find(id_of(2)) == nullptr);
  CHECK(cache.find(id_of(1)) != nullptr);
  CHECK(cache.find(id_of(3)) != nullptr);
  cache.put(id_of(4), std::make_shared<const Bytes>(Bytes(26))); // larger than the budget
  CHECK(cache.find(id_of(4)) == nullptr);
  CHECK(cache.bytes() == 20);
}

TEST_CASE("paths resolve by ids, hosts, tags and latest") {
  Fixture f;
  SnapshotFs fs(f.source, f.snapshots());
  CHECK(names(fs.list(*fs.lookup("/"))) ==
        std::vector<std::string>{"ids", "hosts", "tags", "latest"});
  const auto latest = *fs.lookup("/latest");
  CHECK(latest.node.type == NodeType::symlink);
  CHECK(latest.node.link_target == "ids/aaaa1111");
  CHECK(names(fs.list(*fs.lookup("/ids"))) == std::vector<std::string>{"aaaa1111", "bbbb2222"});
  CHECK(names(fs.list(*fs.lookup("/hosts"))) == std::vector<std::string>{"db1", "web1"});
  CHECK(names(fs.list(*fs.lookup("/hosts/web1"))) ==
        std::vector<std::string>{"2023-11-14T22:13:20Z", "latest"});
  CHECK(fs.lookup("/hosts/web1/latest")->node.link_target == "2023-11-14T22:13:20Z");
  CHECK(names(fs.list(*fs.lookup("/tags"))) == std::vector<std::string>{"daily"});
  // ".." in a snapshot is never shown.
  CHECK(names(fs.list(*fs.lookup("/ids/bbbb2222"))) == std::vector<std::string>{"big", "etc"});
  const auto hosts = *fs.lookup("/tags/daily/2023-11-14T22:13:20Z/etc/hosts");
  CHECK(hosts.node.size == 20);
  CHECK(hosts.node.mode == 0640);
  CHECK(fs.lookup("/hosts/db1/2023-11-14T22:15:00Z/etc")->node.type == NodeType::dir);
  CHECK(!fs.lookup("/ids/bbbb2222/nothing"));
  CHECK(!fs.lookup("/ids/bbbb2222/.."));
  CHECK(!fs.lookup("/ids/bbbb2222/big/x"));
  CHECK(!fs.lookup("/hosts/nohost"));
}

TEST_CASE("two snapshots of one host in the same second get their short IDs") {
  Fixture f;
  auto snapshots = f.snapshots();
  snapshots[0].host = "web1";
  snapshots[0].time_ns = snapshots[1].time_ns;
  SnapshotFs fs(f.source, snapshots);
  CHECK(names(fs.list(*fs.lookup("/hosts/web1"))) ==
        std::vector<std::string>{"2023-11-14T22:13:20Z-aaaa1111", "2023-11-14T22:13:20Z-bbbb2222",
                                 "latest"});
}

TEST_CASE("a read fetches only the blobs of its range, and cached blobs once") {
  Fixture f;
  SnapshotFs fs(f.source, f.snapshots());
  const auto big = *fs.lookup("/ids/bbbb2222/big");
  const int trees = f.source.loads;
  Bytes out(6);
  CHECK(fs.read(big, 8, out) == 6);
  CHECK(std::string(out.begin(), out.end()) == "89abcd");
  CHECK(f.source.loads - trees == 2);
  CHECK(fs.read(big, 9, out) == 6);
  CHECK(f.source.loads - trees == 2); // both from the cache
  Bytes tail(10);
  CHECK(fs.read(big, 21, tail) == 2);
  CHECK(std::string(tail.begin(), tail.begin() + 2) == "YZ");
  CHECK(fs.read(big, 23, tail) == 0);
  CHECK(fs.read(big, 1000, tail) == 0);
}

TEST_CASE("a read touching a damaged blob throws, one elsewhere in the file still works") {
  Fixture f;
  f.source.damaged[11] = true;
  SnapshotFs fs(f.source, f.snapshots());
  const auto big = *fs.lookup("/ids/bbbb2222/big");
  Bytes out(5);
  CHECK(fs.read(big, 0, out) == 5);
  CHECK_THROWS_AS(fs.read(big, 8, out), Error);
}

TEST_CASE("hardlinks of one snapshot share an inode number, other snapshots do not") {
  MapSource source;
  source.blobs[10] = text("same");
  Tree tree;
  for (const char* name : {"a", "b", "c"}) {
    Node node = file_node(name, {id_of(10)}, 4);
    node.device_id = 5;
    node.inode = std::string(name) == "c" ? 8 : 7;
    node.links = std::string(name) == "c" ? 1 : 2;
    tree.nodes.push_back(node);
  }
  source.blobs[1] = encode_tree(tree);
  Tree other = tree;
  other.nodes.pop_back();
  source.blobs[2] = encode_tree(other);
  SnapshotFs fs(source, {snapshot("11110000", 1, "h", {}, id_of(1)),
                         snapshot("22220000", 2, "h", {}, id_of(2))});
  const auto a = fs.lookup("/ids/11110000/a")->ino;
  CHECK(a == fs.lookup("/ids/11110000/b")->ino);
  CHECK(a != fs.lookup("/ids/11110000/c")->ino);
  CHECK(a != fs.lookup("/ids/22220000/a")->ino);
  CHECK(fs.lookup("/ids")->ino != fs.lookup("/hosts")->ino);
}

TEST_CASE("a file whose blobs end before its recorded size fails, never reads as zeros") {
  Fixture f;
  SnapshotFs fs(f.source, f.snapshots());
  auto big = *fs.lookup("/ids/bbbb2222/big");
  big.node.size = 30; // the blobs hold 23 bytes
  Bytes out(10);
  CHECK(fs.read(big, 0, out) == 10);
  CHECK_THROWS_AS(fs.read(big, 20, out), Error);
  big.node.size = 5; // more bytes than recorded: only the recorded ones
  CHECK(fs.read(big, 0, out) == 5);
}
