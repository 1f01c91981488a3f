#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/repo/repository.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/backup_fixture.hpp"
#include "tests/unit/counting_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

namespace {

const crypto::ScryptParams k_fast_kdf{1 << 10, 8, 1};
constexpr std::size_t k_small_pack = std::size_t{64} * 1024;

Bytes content(std::uint64_t n, std::size_t size) { return test::file_content(n, size); }

std::size_t size_of(std::uint64_t n) { return 1000 + static_cast<std::size_t>(n * 7919 % 7000); }

struct Fixture {
  test::TempDir dir;
  fs::path root = dir / "repo";
  LocalStore store{root};
  MasterKey key = MasterKey::generate();

  Fixture() { Repository::init(store, key, "correct horse", k_fast_kdf); }

  std::unique_ptr<Repository> open(std::size_t pack_size = k_small_pack) {
    auto repo = std::make_unique<Repository>(store, key, RepositoryOptions{3, pack_size});
    repo->load_index();
    return repo;
  }
  std::size_t count(std::string_view prefix) { return list_all(store, prefix).size(); }
};

// Fails every put under `prefix` after the first `allowed` ones, as a full
// disk or a dropped connection would.
class FailingPutStore : public ForwardingStore {
public:
  FailingPutStore(Store& inner, std::string prefix, std::size_t allowed)
      : ForwardingStore(inner), m_prefix(std::move(prefix)), m_allowed(allowed) {}
  bool put(std::string_view key, ByteView data) override {
    if (key.starts_with(m_prefix) && m_puts++ >= m_allowed)
      throw Error(Code::no_space, "the disk is full");
    return inner().put(key, data);
  }

private:
  std::string m_prefix;
  std::atomic<std::size_t> m_puts{0};
  std::size_t m_allowed;
};

template <typename F> Error catch_error(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no Error was thrown");
  return Error(Code::generic, "unreachable");
}

void write_file(const fs::path& path, const Bytes& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(f.good());
}

// Damages an object in place, as bit rot on the server's disk would.
void write_byte(const fs::path& path, std::size_t offset, std::uint8_t value) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(value));
  REQUIRE(f.good());
}

Snapshot snapshot_at(std::int64_t time_ns, std::string host) {
  Snapshot s;
  s.time_ns = time_ns;
  s.host = std::move(host);
  s.paths = {"/data"};
  return s;
}

} // namespace

TEST_SUITE_BEGIN("core::Repository");

TEST_CASE("given a new repository, when unlocked and opened, then the right passphrase works and a "
          "wrong one is refused") {
  Fixture f;
  const auto keys = list_all(f.store, "keys/");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].key.size() == 5 + 16);
  CHECK(f.store.head("config"));

  const MasterKey unlocked = Repository::unlock(f.store, "correct horse");
  CHECK(unlocked.encryption == f.key.encryption);
  CHECK(unlocked.id_mac == f.key.id_mac);
  Repository repo(f.store, unlocked);
  CHECK(repo.id().size() == 64);
  CHECK(Repository(f.store, unlocked).id() == repo.id());
  CHECK(repo.chunker().params().avg_size == ChunkerParams{}.avg_size);

  const Error wrong = catch_error([&] { Repository::unlock(f.store, "battery staple"); });
  CHECK(wrong.code() == Code::wrong_passphrase);

  const Error again = catch_error([&] { Repository::init(f.store, f.key, "x", k_fast_kdf); });
  CHECK(again.code() == Code::config);
  CHECK(std::string(again.what()).find("already holds a repository") != std::string::npos);
  CHECK(f.count("keys/") == 1);

  // A key of another repository does not open this one's config.
  const Error other = catch_error([&] { Repository(f.store, MasterKey::generate()); });
  CHECK(other.code() == Code::integrity);
}

TEST_CASE(
    "given a repository with two key files, when unlocking, then either passphrase opens it") {
  Fixture f;
  f.store.put("keys/00000000000000aa", as_bytes(wrap_master_key(f.key, "second", k_fast_kdf)));
  CHECK(Repository::unlock(f.store, "second").encryption == f.key.encryption);
  CHECK(Repository::unlock(f.store, "correct horse").encryption == f.key.encryption);
  CHECK(catch_error([&] { Repository::unlock(f.store, "third"); }).code() ==
        Code::wrong_passphrase);
}

TEST_CASE(
    "given an empty store, when opened or unlocked, then the error says there is no repository") {
  test::TempDir dir;
  LocalStore store(dir.path());
  const MasterKey key = MasterKey::generate();
  CHECK(catch_error([&] { Repository(store, key); }).code() == Code::config);
  CHECK(catch_error([&] { Repository::unlock(store, "pw"); }).code() == Code::config);
}

TEST_CASE("given blobs saved and flushed, when the repository is reopened, then every blob loads "
          "back equal") {
  Fixture f;
  std::map<BlobId, std::uint64_t> saved;
  {
    auto repo = f.open();
    for (std::uint64_t n = 0; n < 120; ++n) {
      const Bytes data = content(n, size_of(n));
      const BlobId id = repo->save_blob(n % 10 ? BlobType::data : BlobType::tree, data);
      saved[id] = n;
      // Readable before any flush: from the open pack or an uploaded one.
      CHECK(repo->load_blob(n % 10 ? BlobType::data : BlobType::tree, id) == data);
    }
    repo->flush();
    const RepositoryStats st = repo->stats();
    CHECK(st.data_blobs_new == 108);
    CHECK(st.tree_blobs_new == 12);
    CHECK(st.packs_written >= 6);
    CHECK(st.bytes_new_stored > st.bytes_new_raw); // random data: sealing only adds
    CHECK(f.count("data/") == st.packs_written);
  }
  // Packs are named by their hash and filed under their first two digits.
  for (const auto& o : list_all(f.store, "data/")) {
    const std::string name = o.key.substr(8);
    CHECK(o.key == Repository::pack_key(name));
    CHECK(to_hex(crypto::sha256(*f.store.get(o.key, 0, std::nullopt))) == name);
  }
  auto repo = f.open();
  CHECK(repo->index().blob_count() == 120);
  for (const auto& [id, n] : saved) {
    CHECK(repo->has_blob(id));
    CHECK(repo->load_blob(n % 10 ? BlobType::data : BlobType::tree, id) == content(n, size_of(n)));
  }
  for (const auto& name : repo->index().packs())
    CHECK_FALSE(repo->read_pack_header(name).empty());
}

TEST_CASE(
    "given the same blob saved twice, in one session and across sessions, then it is stored once") {
  Fixture f;
  const Bytes data = content(1, 5000);
  {
    auto repo = f.open();
    const BlobId id = repo->codec().id_of(data);
    CHECK(repo->save_blob(BlobType::data, id, data));
    CHECK_FALSE(repo->save_blob(BlobType::data, id, data));
    CHECK(repo->save_blob(BlobType::data, data) == id);
    repo->flush();
    CHECK(repo->stats().data_blobs_new == 1);
    CHECK(repo->stats().packs_written == 1);
    repo->flush(); // nothing new: no empty pack, no new index
  }
  CHECK(f.count("data/") == 1);
  CHECK(f.count("index/") == 1);
  auto repo = f.open();
  CHECK_FALSE(repo->save_blob(BlobType::data, repo->codec().id_of(data), data));
  repo->flush();
  CHECK(repo->stats().data_blobs_new == 0);
  CHECK(f.count("data/") == 1);
}

TEST_CASE("given 4 threads saving overlapping blobs, then each blob is stored exactly once and all "
          "load") {
  Fixture f;
  constexpr std::uint64_t k_blobs = 200;
  {
    auto repo = f.open();
    std::vector<std::thread> threads;
    std::atomic<std::uint64_t> accepted{0};
    for (std::uint64_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (std::uint64_t i = 0; i < k_blobs; ++i) {
          const std::uint64_t n = (i * (2 * t + 1) + t * 37) % k_blobs; // a different order each
          if (repo->save_blob(BlobType::data, repo->codec().id_of(content(n, size_of(n))),
                              content(n, size_of(n))))
            ++accepted;
        }
      });
    for (auto& th : threads)
      th.join();
    repo->flush();
    CHECK(accepted.load() == k_blobs);
    CHECK(repo->stats().data_blobs_new == k_blobs);
  }
  auto repo = f.open();
  CHECK(repo->index().blob_count() == k_blobs);
  // Count blobs in the packs themselves, not just in the index.
  std::multiset<BlobId> in_packs;
  for (const auto& name : repo->index().packs())
    for (const auto& e : repo->read_pack_header(name))
      in_packs.insert(e.id);
  CHECK(in_packs.size() == k_blobs);
  for (std::uint64_t n = 0; n < k_blobs; ++n) {
    const Bytes data = content(n, size_of(n));
    const BlobId id = repo->codec().id_of(data);
    CHECK(in_packs.count(id) == 1);
    CHECK(repo->load_blob(BlobType::data, id) == data);
  }
}

TEST_CASE("given a stored pack, when any sampled bit of it is flipped, then reading the affected "
          "blob or header fails naming the pack") {
  Fixture f;
  std::vector<BlobId> ids;
  auto repo = f.open(1 << 20);
  for (std::uint64_t n = 0; n < 12; ++n)
    ids.push_back(repo->save_blob(BlobType::data, content(n, size_of(n))));
  repo->flush();
  REQUIRE(repo->index().packs().size() == 1);
  const std::string name = repo->index().packs()[0];
  const fs::path file = f.root / Repository::pack_key(name);
  const Bytes original = *f.store.get(Repository::pack_key(name), 0, std::nullopt);
  const auto entries = repo->read_pack_header(name);
  const std::size_t total_bits = original.size() * 8;

  std::vector<std::size_t> bits;
  for (std::size_t bit = 0; bit < total_bits; bit += 97)
    bits.push_back(bit);
  for (std::size_t bit = total_bits - 32; bit < total_bits; ++bit)
    bits.push_back(bit); // trailer

  std::size_t blob_hits = 0, header_hits = 0;
  for (std::size_t bit : bits) {
    CAPTURE(bit);
    Bytes damaged = original;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    write_byte(file, bit / 8, damaged[bit / 8]);
    const std::size_t byte = bit / 8;
    const auto hit = std::find_if(entries.begin(), entries.end(), [&](const PackEntry& e) {
      return byte >= e.offset && byte < std::size_t{e.offset} + e.length;
    });
    if (hit != entries.end()) {
      ++blob_hits;
      const Error e = catch_error([&] { repo->load_blob(BlobType::data, hit->id); });
      CHECK(e.code() == Code::integrity);
      CHECK(std::string(e.what()).find("pack " + name) != std::string::npos);
      CHECK(e.hint().find("check --read-data") != std::string::npos);
      // Other blobs of the same pack stay readable.
      const auto other = hit == entries.begin() ? entries.end() - 1 : entries.begin();
      CHECK_NOTHROW(repo->load_blob(BlobType::data, other->id));
    } else {
      ++header_hits;
      const Error e = catch_error([&] { repo->read_pack_header(name); });
      CHECK(e.code() == Code::integrity);
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
    CHECK(catch_error([&] { repo->load_pack(name); }).code() == Code::integrity);
    write_byte(file, bit / 8, original[bit / 8]);
  }
  CHECK(blob_hits > 50);
  CHECK(header_hits >= 32);
  write_file(file, original);
  for (const auto& id : ids)
    CHECK_NOTHROW(repo->load_blob(BlobType::data, id));
  CHECK(repo->load_pack(name) == original);
}

TEST_CASE("given an index file that is swapped, then loading skips and names it, and reading "
          "the index files fails with an integrity error") {
  Fixture f;
  BlobId id;
  {
    auto repo = f.open();
    id = repo->save_blob(BlobType::data, content(1, 3000));
    repo->flush();
  }
  const auto index_files = list_all(f.store, "index/");
  REQUIRE(index_files.size() == 1);
  // Swap the index file for another's bytes: its name no longer matches.
  write_file(f.root / index_files[0].key, content(2, 100));
  Repository repo(f.store, f.key);
  const auto damaged = repo.load_index();
  REQUIRE(damaged.size() == 1);
  CHECK(damaged[0].key == index_files[0].key);
  CHECK(catch_error([&] { repo.read_index_files(); }).code() == Code::integrity);
  CHECK(catch_error([&] { repo.load_blob(BlobType::data, id); }).code() == Code::not_found);
}

TEST_CASE("given a blob, when loaded as the wrong type or when its pack is gone, then the error "
          "says so") {
  Fixture f;
  auto repo = f.open();
  const BlobId id = repo->save_blob(BlobType::data, content(1, 3000));
  CHECK(catch_error([&] { repo->load_blob(BlobType::tree, id); }).code() == Code::integrity);
  repo->flush();
  CHECK(catch_error([&] { repo->load_blob(BlobType::tree, id); }).code() == Code::integrity);
  const std::string pack = repo->index().find(id)->pack;
  f.store.remove(Repository::pack_key(pack));
  const Error e = catch_error([&] { repo->load_blob(BlobType::data, id); });
  CHECK(e.code() == Code::integrity);
  CHECK(std::string(e.what()).find(pack) != std::string::npos);
}

TEST_CASE("given an interrupted backup, when the repository is reopened, then blobs in packs "
          "covered by an index file are reused") {
  Fixture f;
  std::vector<BlobId> ids;
  {
    auto repo = f.open();
    // ~4.5 KB per blob, 64 KiB packs: ~14 blobs per pack, 150 blobs ~ 10 packs.
    for (std::uint64_t n = 0; n < 150; ++n)
      ids.push_back(repo->save_blob(BlobType::data, content(n, size_of(n))));
    // Uploads run in the background: on a busy machine few may be done yet.
    // Give them time (bounded), so that what is tested is the reopening.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (f.count("data/") < 8 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Dropped without flush(), as a killed process would: the upload in
    // progress finishes, packs still queued behind it are dropped.
  }
  const std::size_t packs_uploaded = f.count("data/");
  REQUIRE(packs_uploaded >= 8);
  const std::size_t index_files = f.count("index/");
  CHECK(index_files == packs_uploaded / 4);

  auto repo = f.open();
  const std::size_t indexed = repo->index().blob_count();
  CHECK(repo->index().packs().size() == index_files * 4);
  CHECK(indexed > 0);
  CHECK(indexed < ids.size());
  std::size_t found = 0;
  for (std::size_t n = 0; n < ids.size(); ++n) {
    if (!repo->has_blob(ids[n])) continue;
    ++found;
    CHECK(repo->load_blob(BlobType::data, ids[n]) == content(n, size_of(n)));
  }
  CHECK(found == indexed);
  CHECK_FALSE(repo->has_blob(ids.back())); // it was in the open pack

  // The next run uploads only what is missing.
  std::size_t new_blobs = 0;
  for (std::uint64_t n = 0; n < ids.size(); ++n)
    if (repo->save_blob(BlobType::data, ids[n], content(n, size_of(n)))) ++new_blobs;
  CHECK(new_blobs == ids.size() - indexed);
  repo->flush();
  auto reopened = f.open();
  CHECK(reopened->index().blob_count() == ids.size());
}

TEST_CASE(
    "given saved snapshots, when listed, loaded and resolved, then references find the right one") {
  Fixture f;
  auto repo = f.open();
  Snapshot s2 = snapshot_at(2'000'000'000'000'000'000, "two");
  s2.tree = repo->save_blob(BlobType::tree, content(9, 100));
  const std::string id2 = repo->save_snapshot(s2);
  const std::string id1 = repo->save_snapshot(snapshot_at(1'000'000'000'000'000'000, "one"));
  const std::string id3 = repo->save_snapshot(snapshot_at(1'500'000'000'000'000'000, "three"));
  CHECK(id1.size() == 64);
  CHECK(f.store.head("snapshots/" + id1));

  const auto list = repo->list_snapshots();
  REQUIRE(list.size() == 3);
  CHECK(list[0].id == id1);
  CHECK(list[1].id == id3);
  CHECK(list[2].id == id2);
  CHECK(list[2].host == "two");
  CHECK(repo->load_snapshot(id2).tree == s2.tree);

  CHECK(repo->resolve_snapshot_id(id3) == id3);
  CHECK(repo->resolve_snapshot_id(id3.substr(0, 8)) == id3);
  std::string upper = id1.substr(0, 10);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(repo->resolve_snapshot_id(upper) == id1);

  std::string absent = id1.substr(0, 4) == "0000" ? "ffff" : "0000";
  for (const auto& id : {id1, id2, id3})
    if (id.starts_with(absent)) absent = "fffe";
  const Error unknown = catch_error([&] { repo->resolve_snapshot_id(absent); });
  CHECK(unknown.code() == Code::not_found);
  CHECK(std::string(unknown.what()) == "no snapshot matches \"" + absent + "\"");
  CHECK(unknown.hint().find("offsite snapshots") != std::string::npos);
  CHECK(catch_error([&] { repo->resolve_snapshot_id("yesterday"); }).code() == Code::not_found);
  CHECK(catch_error([&] { repo->resolve_snapshot_id(id1.substr(0, 3)); }).code() == Code::usage);
  CHECK(catch_error([&] { repo->load_snapshot(std::string(64, 'e')); }).code() == Code::not_found);

  // A damaged snapshot object is caught by its name.
  Bytes bytes = *f.store.get("snapshots/" + id1, 0, std::nullopt);
  bytes[bytes.size() / 2] ^= 1;
  write_file(f.root / ("snapshots/" + id1), bytes);
  CHECK(catch_error([&] { repo->load_snapshot(id1); }).code() == Code::integrity);
}

TEST_CASE("given two snapshots sharing a prefix, when resolved by it, then the error lists both") {
  Fixture f;
  auto repo = f.open();
  // resolve only lists names, so stand-in objects are enough to share a prefix.
  const std::string a = "abcd" + std::string(59, '0') + "1";
  const std::string b = "abcd" + std::string(59, '0') + "2";
  f.store.put("snapshots/" + a, as_bytes("x"));
  f.store.put("snapshots/" + b, as_bytes("y"));
  const Error e = catch_error([&] { repo->resolve_snapshot_id("abcd"); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()).find("ambiguous") != std::string::npos);
  CHECK(std::string(e.what()).find(a) != std::string::npos); // long enough to tell apart
  CHECK(std::string(e.what()).find(b) != std::string::npos);
  CHECK(repo->resolve_snapshot_id(a) == a);
  CHECK(repo->resolve_snapshot_id(b.substr(0, 64)) == b);
}
TEST_CASE("given a pack upload that fails on the upload thread, when blobs are saved and flushed, "
          "then the failure reaches the caller and nothing unuploaded is indexed") {
  Fixture f;
  FailingPutStore failing(f.store, "data/", 2);
  Repository repo(failing, f.key, RepositoryOptions{3, k_small_pack});
  repo.load_index();
  const Error e = catch_error([&] {
    for (std::uint64_t n = 0; n < 300; ++n)
      repo.save_blob(BlobType::data, content(n, size_of(n)));
    repo.flush();
  });
  CHECK(e.code() == Code::no_space);
  CHECK(f.count("data/") == 2);
  // Later writes keep failing rather than pretending to succeed.
  CHECK(catch_error([&] { repo.flush(); }).code() == Code::no_space);

  auto reopened = f.open();
  for (const auto& pack : reopened->index().packs())
    CHECK(f.store.head(Repository::pack_key(pack)).has_value());
}

TEST_CASE("given an index file upload that fails on the upload thread, when flushed, then flush "
          "throws instead of returning before the index is durable") {
  Fixture f;
  FailingPutStore failing(f.store, "index/", 0);
  // One blob per pack: the fourth pack's upload writes the index file, and
  // flush() has nothing else left to wait for.
  Repository repo(failing, f.key, RepositoryOptions{3, 1});
  repo.load_index();
  const Error e = catch_error([&] {
    for (std::uint64_t n = 0; n < 4; ++n)
      repo.save_blob(BlobType::data, content(n, size_of(n)));
    repo.flush();
  });
  CHECK(e.code() == Code::no_space);
  CHECK(f.count("data/") == 4);
  CHECK(f.count("index/") == 0);
}

TEST_CASE("given a run of blobs in one pack, when loaded as a run, then each gets its bytes, "
          "and when the pack is gone, then each gets load_blob's error") {
  Fixture f;
  auto repo = f.open(k_pack_target_size);
  std::vector<BlobId> ids;
  for (std::uint64_t n = 0; n < 10; ++n)
    ids.push_back(repo->save_blob(BlobType::data, content(n, size_of(n))));
  repo->flush();
  REQUIRE(repo->index().packs().size() == 1);
  auto loads = repo->load_blob_run(ids);
  REQUIRE(loads.size() == ids.size());
  for (std::size_t n = 0; n < ids.size(); ++n) {
    CHECK_FALSE(loads[n].error);
    CHECK(loads[n].data == content(n, size_of(n)));
  }
  f.store.remove(Repository::pack_key(repo->index().packs()[0]));
  loads = repo->load_blob_run(ids);
  for (std::size_t n = 0; n < ids.size(); ++n) {
    REQUIRE(loads[n].error);
    const Error expected = catch_error([&] { repo->load_blob(BlobType::data, ids[n]); });
    const Error got = catch_error([&] { std::rethrow_exception(loads[n].error); });
    CHECK(got.code() == Code::integrity);
    CHECK(std::string(got.what()) == expected.what());
  }
}

TEST_CASE("given data and tree blobs saved together, when flushed, then they are in packs of "
          "their own and the index says which packs hold only trees") {
  Fixture f;
  BlobId data_id{}, tree_id{};
  {
    auto repo = f.open();
    data_id = repo->save_blob(BlobType::data, content(1, 3000));
    tree_id = repo->save_blob(BlobType::tree, content(2, 500));
    // Unsent, both are still readable from memory.
    CHECK(repo->load_blob(BlobType::tree, tree_id) == content(2, 500));
    repo->flush();
  }
  CHECK(f.count("data/") == 2);
  auto repo = f.open();
  const auto data = repo->index().find(data_id);
  const auto tree = repo->index().find(tree_id);
  REQUIRE(data);
  REQUIRE(tree);
  CHECK(data->pack != tree->pack);
  CHECK_FALSE(data->in_tree_pack);
  CHECK(tree->in_tree_pack);
  CHECK(repo->load_blob(BlobType::tree, tree_id) == content(2, 500));
}

TEST_CASE("given a pack that mixes data and trees (written before they were kept apart), then "
          "its trees are not taken for a pack of trees") {
  Index index;
  BlobId a{}, b{};
  a[0] = 1;
  b[0] = 2;
  index.add_pack("mixed", {PackEntry{BlobType::tree, a, 0, 10, 10}});
  index.add_pack("mixed", {PackEntry{BlobType::data, b, 10, 10, 10}});
  index.add_pack("trees", {PackEntry{BlobType::tree, b, 0, 10, 10}});
  CHECK_FALSE(index.find(a)->in_tree_pack);
  CHECK_FALSE(index.find(b)->in_tree_pack);
  const auto all = index.find_all(b);
  REQUIRE(all.size() == 2);
  CHECK(all[1].in_tree_pack);
}

TEST_CASE("given a remote store, when many trees of one pack are loaded, then the store is asked "
          "once per block of trees, not once per tree") {
  Fixture f;
  std::vector<BlobId> trees;
  {
    auto repo = f.open(std::size_t{16} << 20);
    for (std::uint64_t i = 0; i < 100; ++i)
      trees.push_back(repo->save_blob(BlobType::tree, content(i, 1000)));
    repo->flush();
  }
  test::CountingStore remote(f.store, "", true);
  Repository repo(remote, f.key, RepositoryOptions{3, k_small_pack});
  repo.load_index();
  const int before = remote.gets.load();
  for (std::uint64_t i = 0; i < trees.size(); ++i)
    CHECK(repo.load_blob(BlobType::tree, trees[i]) == content(i, 1000));
  CHECK(remote.gets.load() - before == 1); // ~100 KB of trees: one 256 KiB block
}

TEST_SUITE_END();
