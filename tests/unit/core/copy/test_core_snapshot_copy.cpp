#include <doctest/doctest.h>

#include "core/common/error.hpp"
#include "core/copy/snapshot_copy.hpp"
#include "core/format/tree.hpp"
#include "tests/unit/backup_fixture.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::SnapshotCopier");

namespace {

Snapshot snap(std::string id, std::optional<std::string> original = {},
              std::optional<std::string> parent = {}) {
  Snapshot s;
  s.id = std::move(id);
  s.original = std::move(original);
  s.parent = std::move(parent);
  return s;
}

// The content IDs a backup into `repo` gives `data`: its chunker, its keyed IDs.
std::vector<BlobId> chunked_as(const Repository& repo, const Bytes& data) {
  std::vector<BlobId> ids;
  std::size_t pos = 0;
  while (pos < data.size()) {
    const ByteView rest(data.data() + pos, data.size() - pos);
    const std::size_t len = repo.chunker().next_boundary(rest, true);
    ids.push_back(repo.codec().id_of(ByteView(rest.data(), len)));
    pos += len;
  }
  return ids;
}

const Node& node_named(const Tree& tree, const std::string& name) {
  for (const auto& n : tree.nodes)
    if (n.name == name) return n;
  FAIL("no node " << name);
  throw 0;
}

// The tree of the source directory inside a snapshot's root tree.
Tree src_tree(Repository& repo, const BlobId& root, const std::filesystem::path& src) {
  Tree tree = decode_tree(repo.load_blob(BlobType::tree, root));
  for (const auto& part : src.relative_path())
    tree = decode_tree(repo.load_blob(BlobType::tree, *node_named(tree, part.string()).subtree));
  return tree;
}

class CountingReporter : public CopyReporter {
public:
  void progress(const CopyProgress&) override { ++calls; }
  int calls = 0;
};

} // namespace

TEST_CASE("a copy is found by its original, through copies and retags") {
  const std::vector<Snapshot> dest{snap("d1", "s1"), snap("d2")};
  CHECK(has_copy_of(snap("s1"), dest));
  CHECK(has_copy_of(snap("retagged", "s1"), dest)); // a retag of s1 in the source
  CHECK(has_copy_of(snap("x", "d2"), dest));        // d2, copied back
  CHECK_FALSE(has_copy_of(snap("s3"), dest));
  CHECK(original_of(snap("a")) == "a");
  CHECK(original_of(snap("b", "a")) == "a");
}

TEST_CASE("a copied snapshot keeps its fields, names its original and maps its parent") {
  Snapshot source = snap("s2", {}, "s1-retagged");
  source.host = "laptop";
  source.tags = {"t"};
  source.time_ns = 42;
  const std::vector<Snapshot> source_list{snap("s1-retagged", "s1"), source};
  const std::vector<Snapshot> dest{snap("d1", "s1")};
  BlobId tree{};
  tree[0] = 7;
  const Snapshot copy = copied_snapshot(source, tree, source_list, dest);
  CHECK(copy.id.empty());
  CHECK(copy.tree == tree);
  CHECK(copy.original == "s2");
  CHECK(copy.parent == "d1");
  CHECK(copy.host == "laptop");
  CHECK(copy.tags == std::vector<std::string>{"t"});
  CHECK(copy.time_ns == 42);
  // A parent the destination has no copy of is dropped, never left dangling.
  CHECK_FALSE(copied_snapshot(source, tree, source_list, {}).parent);
}

TEST_CASE("copied files are cut as the destination cuts them, restore, and are read once") {
  test::BackupFixture from;
  test::BackupFixture to;
  const Bytes big = test::file_content(1, 3u << 20); // several chunks
  test::write_file(from.src / "big", big);
  test::write_file(from.src / "sub" / "same-as-big", big);
  from.put("small", 2);
  const std::string first = from.backup();
  from.put("small", 3);
  const std::string second = from.backup();

  auto source = from.open();
  auto dest = to.open();
  CountingReporter reporter;
  SnapshotCopier copier(*source, *dest, reporter, 2);
  std::vector<Snapshot> present;
  std::uint64_t read_after_first = 0;
  for (const auto& id : {first, second}) {
    const Snapshot s = source->load_snapshot(id);
    const BlobId tree = copier.copy_tree(s.tree);
    dest->flush();
    Snapshot copy = copied_snapshot(s, tree, {}, present);
    copy.id = dest->save_snapshot(copy);
    to.expected[copy.id] = from.expected[id];
    present.push_back(copy);
    if (id == first) read_after_first = copier.progress().bytes_read;
  }
  // The big file (twice in the tree) was read once in all; the second
  // snapshot read only the changed small file.
  CHECK(read_after_first == big.size() + test::k_file_size);
  CHECK(copier.progress().bytes_read == big.size() + 2 * test::k_file_size);
  CHECK(reporter.calls > 0);

  const Tree copied = src_tree(*dest, present.back().tree, from.src);
  const auto expected = chunked_as(*dest, big);
  CHECK(expected.size() > 1);
  CHECK(node_named(copied, "big").content == expected);
  CHECK(node_named(copied, "big").content !=
        node_named(src_tree(*source, source->load_snapshot(second).tree, from.src), "big").content);
  to.src = from.src; // the copies hold the source's paths
  to.require_restorable();
}

TEST_CASE("a damaged source blob stops the copy naming the file") {
  test::BackupFixture from;
  test::BackupFixture to;
  test::write_file(from.src / "victim", test::file_content(9, 200000));
  const std::string id = from.backup();
  for (const auto& o : list_all(from.store, "data/")) {
    if (o.size < 100000) continue; // the trees' packs stay intact
    auto bytes = *from.store.get(o.key, 0, std::nullopt);
    bytes[bytes.size() / 3] ^= 1;
    from.store.remove(o.key);
    from.store.put(o.key, bytes);
  }
  auto source = from.open();
  auto dest = to.open();
  CopyReporter reporter;
  SnapshotCopier copier(*source, *dest, reporter, 1);
  try {
    copier.copy_tree(source->load_snapshot(id).tree);
    FAIL("the copy went on");
  } catch (const Error& e) {
    CHECK(e.code() == Code::integrity);
    CHECK(std::string(e.what()).find("victim") != std::string::npos);
  }
}

TEST_SUITE_END();
