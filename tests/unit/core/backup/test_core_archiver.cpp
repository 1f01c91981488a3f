#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/backup/archiver.hpp"
#include "core/common/error.hpp"
#include "core/common/work_queue.hpp"
#include "core/format/tree.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core::Archiver");

namespace {

constexpr std::size_t k_mib = std::size_t{1024} * 1024;

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (std::size_t i = n - n % 8; i < n; ++i)
    out[i] = static_cast<char>(rng());
  return out;
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  REQUIRE(out.good());
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

std::int64_t ns(const struct timespec& ts) {
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class Recorder : public BackupReporter {
public:
  void warning(const std::string& path, const std::string& message) override {
    warnings.emplace_back(path, message);
  }
  void progress(const BackupProgress& p) override {
    if (on_progress) on_progress(p);
  }
  bool cancelled() override {
    ++polls;
    return cancel_after && polls > *cancel_after;
  }
  bool warned_about(const fs::path& path, std::string_view text) const {
    return std::any_of(warnings.begin(), warnings.end(), [&](const auto& w) {
      return w.first == path.string() && w.second.find(text) != std::string::npos;
    });
  }
  std::vector<std::pair<std::string, std::string>> warnings;
  std::function<void(const BackupProgress&)> on_progress;
  std::optional<std::uint64_t> cancel_after;
  std::uint64_t polls = 0;
};

struct Fixture {
  test::TempDir tmp;
  LocalStore store{tmp / "repo"};
  MasterKey key = MasterKey::generate();
  std::unique_ptr<Repository> repo;
  fs::path src = tmp / "src";

  Fixture() {
    Repository::init(store, key, "pw", crypto::ScryptParams{1 << 10, 8, 1});
    reopen();
    fs::create_directories(src);
  }
  // A new Repository object, as a new process would open it.
  void reopen() {
    repo.reset();
    repo = std::make_unique<Repository>(store, key);
    repo->load_index();
  }
  BackupResult backup(BackupOptions options, FilesCache* cache, BackupReporter& reporter) {
    if (options.paths.empty() && !options.stdin_name) options.paths = {src};
    if (options.threads == 0) options.threads = 2;
    return core::backup(*repo, cache, options, reporter);
  }
  BackupResult backup(FilesCache* cache = nullptr) {
    Recorder r;
    auto result = backup(BackupOptions{}, cache, r);
    for (const auto& w : r.warnings)
      MESSAGE("warning: " << w.first << ": " << w.second);
    return result;
  }

  Tree tree(const BlobId& id) { return decode_tree(repo->load_blob(BlobType::tree, id)); }

  // The node for an absolute path inside the snapshot.
  std::optional<Node> node_at(const Snapshot& s, const fs::path& abs) {
    Tree t = tree(s.tree);
    std::optional<Node> found;
    for (const auto& part : abs.relative_path()) {
      if (found) {
        if (!found->subtree) return std::nullopt;
        t = tree(*found->subtree);
      }
      auto it = std::find_if(t.nodes.begin(), t.nodes.end(),
                             [&](const Node& n) { return n.name == part.string(); });
      if (it == t.nodes.end()) return std::nullopt;
      found = *it;
    }
    return found;
  }
  Tree dir_tree(const Snapshot& s, const fs::path& abs) {
    auto node = node_at(s, abs);
    REQUIRE(node.has_value());
    REQUIRE(node->subtree.has_value());
    return tree(*node->subtree);
  }
  std::string content(const Node& n) {
    std::string out;
    out.reserve(n.size);
    for (const auto& id : n.content) {
      Bytes b = repo->load_blob(BlobType::data, id);
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    return out;
  }
  std::size_t snapshot_count() { return repo->list_snapshots().size(); }
};

const Node* find_node(const Tree& t, const std::string& name) {
  auto it =
      std::find_if(t.nodes.begin(), t.nodes.end(), [&](const Node& n) { return n.name == name; });
  return it == t.nodes.end() ? nullptr : &*it;
}

std::vector<std::string> names_of(const Tree& t) {
  std::vector<std::string> out;
  for (const auto& n : t.nodes)
    out.push_back(n.name);
  return out;
}

void check_metadata(const Node& node, const fs::path& path) {
  INFO("path: " << path.string());
  struct stat st = lstat_of(path);
  CHECK(node.mode == (st.st_mode & 07777));
  CHECK(node.uid == st.st_uid);
  CHECK(node.gid == st.st_gid);
  CHECK(node.mtime_ns == ns(st.st_mtim));
  CHECK(node.inode == st.st_ino);
  CHECK(node.device_id == st.st_dev);
  CHECK(node.links == st.st_nlink);
  if (S_ISREG(st.st_mode)) {
    CHECK(node.type == NodeType::file);
    CHECK(node.size == static_cast<std::uint64_t>(st.st_size));
    CHECK(node.ctime_ns == ns(st.st_ctim));
  }
  if (S_ISDIR(st.st_mode)) CHECK(node.type == NodeType::dir);
  if (S_ISLNK(st.st_mode)) {
    CHECK(node.type == NodeType::symlink);
    CHECK(node.link_target == fs::read_symlink(path).string());
  }
  if (S_ISFIFO(st.st_mode)) CHECK(node.type == NodeType::fifo);
  if (S_ISSOCK(st.st_mode)) CHECK(node.type == NodeType::socket);
}

} // namespace

TEST_CASE("given a tree with every kind of entry when backed up then each node matches lstat and "
          "content") {
  Fixture f;
  const std::string large = random_bytes(5 * k_mib, 1);
  write_file(f.src / "file.txt", "hello\n");
  write_file(f.src / "empty", "");
  write_file(f.src / "large.bin", large);
  {
    // Sparse: 1 KiB of data, then a 16 MiB hole.
    int fd = ::open((f.src / "sparse").c_str(), O_WRONLY | O_CREAT, 0640);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "data", 4) == 4);
    REQUIRE(::ftruncate(fd, 16 * static_cast<off_t>(k_mib)) == 0);
    ::close(fd);
  }
  fs::create_symlink("file.txt", f.src / "link");
  fs::create_symlink("/nonexistent/target", f.src / "dangling");
  write_file(f.src / "hl1", "linked content");
  fs::create_hard_link(f.src / "hl1", f.src / "hl2");
  REQUIRE(::mkfifo((f.src / "fifo").c_str(), 0600) == 0);
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = (f.src / "sock").string();
  REQUIRE(sock_path.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  REQUIRE(::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  ::close(sock);
  const std::vector<std::string> hostile = {"new\nline", std::string("\xff\xfe", 2),
                                            std::string(255, 'n'), "-rf", " spaced name "};
  for (const auto& name : hostile)
    write_file(f.src / name, "hostile " + name);
  fs::create_directories(f.src / "sub" / "deeper");
  write_file(f.src / "sub" / "deeper" / "inner.txt", "inner");
  ::chmod((f.src / "sub").c_str(), 0750);
  ::chmod((f.src / "file.txt").c_str(), 04755);
  const bool have_xattrs =
      ::setxattr((f.src / "file.txt").c_str(), "user.offsite", "v\0x", 3, 0) == 0;
  if (!have_xattrs) MESSAGE("the file system refuses user xattrs; their check is skipped");

  FilesCache cache;
  Recorder r;
  BackupResult result = f.backup(BackupOptions{}, &cache, r);
  CHECK(r.warnings.empty());
  CHECK_FALSE(result.partial);
  CHECK_FALSE(result.snapshot_id.empty());
  Snapshot s = f.repo->load_snapshot(result.snapshot_id);
  REQUIRE(s.paths.size() == 1);
  CHECK(s.paths[0] == f.src.string());
  CHECK_FALSE(s.partial);
  CHECK(s.program_version == OFFSITE_VERSION);

  // The root tree mirrors the absolute path; each ancestor has its metadata.
  // Above the test's own directory (/tmp, shared with tests running in
  // parallel) times and link counts move under our feet: check identity only.
  for (fs::path p = f.src; p != p.root_path(); p = p.parent_path()) {
    auto node = f.node_at(s, p);
    REQUIRE(node.has_value());
    if (p == f.src || p == f.tmp.path()) {
      check_metadata(*node, p);
    } else {
      CHECK(node->type == NodeType::dir);
      CHECK(node->inode == lstat_of(p).st_ino);
    }
  }

  Tree t = f.dir_tree(s, f.src);
  std::vector<std::string> expected;
  for (const auto& e : fs::directory_iterator(f.src))
    expected.push_back(e.path().filename().string());
  std::sort(expected.begin(), expected.end());
  CHECK(names_of(t) == expected); // every entry, sorted by bytes

  for (const auto& node : t.nodes) {
    const fs::path path = f.src / node.name;
    check_metadata(node, path);
    if (node.type == NodeType::file) CHECK(f.content(node) == read_file(path));
  }
  CHECK(find_node(t, "large.bin")->content.size() >= 2);
  CHECK(find_node(t, "empty")->content.empty());
  CHECK(find_node(t, "sparse")->sparse);
  CHECK_FALSE(find_node(t, "large.bin")->sparse);
  CHECK(find_node(t, "link")->link_target == "file.txt");
  CHECK(find_node(t, "dangling")->link_target == "/nonexistent/target");
  CHECK(find_node(t, "hl1")->links == 2);
  CHECK(find_node(t, "hl1")->inode == find_node(t, "hl2")->inode);
  CHECK(find_node(t, "hl1")->content == find_node(t, "hl2")->content);
  CHECK(find_node(t, "fifo")->type == NodeType::fifo); // recorded, never opened (that would block)
  CHECK(find_node(t, "sock")->type == NodeType::socket);
  for (const auto& name : hostile) {
    REQUIRE(find_node(t, name) != nullptr);
    CHECK(f.content(*find_node(t, name)) == "hostile " + name);
  }
  if (have_xattrs) {
    const auto& xattrs = find_node(t, "file.txt")->xattrs;
    REQUIRE(xattrs.size() == 1);
    CHECK(xattrs[0].first == "user.offsite");
    CHECK(xattrs[0].second == std::string("v\0x", 3));
  }

  Tree deeper = f.dir_tree(s, f.src / "sub" / "deeper");
  REQUIRE(deeper.nodes.size() == 1);
  CHECK(f.content(deeper.nodes[0]) == "inner");
  check_metadata(*f.node_at(s, f.src / "sub"), f.src / "sub");

  const auto& sum = s.summary;
  CHECK(sum.files_new == 6 + hostile.size() + 1);
  CHECK(sum.files_changed == 0);
  CHECK(sum.files_unmodified == 0);
  CHECK(sum.other_nodes == 4); // link, dangling, fifo, sock
  CHECK(sum.files_failed == 0);
  CHECK(sum.data_blobs_new > 0);
  CHECK(sum.tree_blobs_new > 0);
  CHECK(sum.bytes_processed >= large.size() + 16 * k_mib);
  CHECK(result.files_content_read == sum.files_new);
}

TEST_CASE("given skip_if_unchanged, when nothing below the paths changed (but the directory "
          "above them did), then no snapshot is saved, and after a change one is") {
  Fixture f;
  write_file(f.src / "a", "one");
  fs::create_directories(f.src / "d");
  write_file(f.src / "d" / "b", "two");
  BackupOptions options;
  options.find_parent = true;
  options.skip_if_unchanged = true;
  Recorder r;
  const BackupResult first = f.backup(options, nullptr, r);
  CHECK_FALSE(first.skipped);
  REQUIRE(f.snapshot_count() == 1);

  write_file(f.tmp / "unrelated", "the directory above the path changes"); // tmp's mtime
  f.reopen();
  const BackupResult same = f.backup(options, nullptr, r);
  CHECK(same.skipped);
  CHECK(same.snapshot_id.empty());
  CHECK(same.snapshot.parent == first.snapshot_id);
  CHECK(f.snapshot_count() == 1);

  write_file(f.src / "d" / "b", "three");
  f.reopen();
  const BackupResult changed = f.backup(options, nullptr, r);
  CHECK_FALSE(changed.skipped);
  CHECK(f.snapshot_count() == 2);
}

TEST_CASE("given an unchanged tree when backed up again then no file content is read") {
  Fixture f;
  write_file(f.src / "a", random_bytes(3 * k_mib, 2));
  write_file(f.src / "b", "small");
  write_file(f.src / "empty", "");
  fs::create_directories(f.src / "d");
  write_file(f.src / "d" / "c", "c");

  FilesCache cache;
  BackupResult first = f.backup(&cache);
  REQUIRE(first.files_content_read == 4);
  cache.save(f.tmp / "cache" / "files");

  SUBCASE("with the files cache") {
    FilesCache loaded = FilesCache::load(f.tmp / "cache" / "files");
    f.reopen();
    BackupResult second = f.backup(&loaded);
    CHECK(second.files_content_read == 0);
    CHECK(second.snapshot.summary.data_blobs_new == 0);
    CHECK(second.snapshot.summary.files_unmodified == 4);
    CHECK(second.snapshot.summary.files_new == 0);
    // Same content lists as the first snapshot.
    auto a1 = f.node_at(first.snapshot, f.src / "a");
    auto a2 = f.node_at(second.snapshot, f.src / "a");
    REQUIRE(a1);
    REQUIRE(a2);
    CHECK(a1->content == a2->content);
  }
  SUBCASE("without a cache but with the parent snapshot") {
    Recorder r;
    BackupOptions o;
    o.parent = first.snapshot_id;
    BackupResult second = f.backup(o, nullptr, r);
    CHECK(second.files_content_read == 0);
    CHECK(second.snapshot.summary.data_blobs_new == 0);
    CHECK(second.snapshot.summary.files_unmodified == 4);
    REQUIRE(second.snapshot.parent.has_value());
    CHECK(*second.snapshot.parent == first.snapshot_id);
  }
  SUBCASE("without a cache, asked to find the parent, given the path with a trailing '/' then "
          "the first snapshot is the parent and nothing is read") {
    Recorder r;
    BackupOptions o;
    o.paths = {f.src.string() + "/", f.src / "d" / ".."};
    o.find_parent = true;
    BackupResult second = f.backup(o, nullptr, r);
    CHECK(second.snapshot.paths == first.snapshot.paths);
    REQUIRE(second.snapshot.parent.has_value());
    CHECK(*second.snapshot.parent == first.snapshot_id);
    CHECK(second.files_content_read == 0);
  }
  SUBCASE("asked to find the parent under another host name then there is none") {
    Recorder r;
    BackupOptions o;
    o.host = "elsewhere";
    o.find_parent = true;
    BackupResult second = f.backup(o, nullptr, r);
    CHECK_FALSE(second.snapshot.parent.has_value());
    CHECK(second.files_content_read == 4);
  }
  SUBCASE("with a parent snapshot that cannot be loaded then a warning and every file is read") {
    Recorder r;
    BackupOptions o;
    o.parent = std::string(64, 'f');
    BackupResult second = f.backup(o, nullptr, r);
    CHECK(second.files_content_read == 4);
    CHECK(r.warned_about(std::string(64, 'f'), "cannot use the parent snapshot"));
    CHECK_FALSE(second.partial);
  }
  SUBCASE("with a modified file then only that file is read") {
    FilesCache loaded = FilesCache::load(f.tmp / "cache" / "files");
    write_file(f.src / "b", "changed and longer");
    write_file(f.src / "new", "new file");
    BackupResult second = f.backup(&loaded);
    CHECK(second.files_content_read == 2);
    CHECK(second.snapshot.summary.files_changed == 1);
    CHECK(second.snapshot.summary.files_new == 1);
    CHECK(second.snapshot.summary.files_unmodified == 3);
    CHECK(f.content(*f.node_at(second.snapshot, f.src / "b")) == "changed and longer");
  }
}

TEST_CASE("given a 64 MiB file with one byte inserted in the middle when backed up again then at "
          "most 3 new blobs") {
  Fixture f;
  std::string data = random_bytes(64 * k_mib, 3);
  write_file(f.src / "big", data);
  BackupResult first = f.backup();
  CHECK(first.snapshot.summary.data_blobs_new >= 20);
  data.insert(data.begin() + static_cast<std::ptrdiff_t>(data.size() / 2), 'X');
  write_file(f.src / "big", data);
  BackupResult second = f.backup();
  CHECK(second.snapshot.summary.data_blobs_new <= 3);
  CHECK(second.snapshot.summary.data_blobs_new >= 1);
  CHECK(f.content(*f.node_at(second.snapshot, f.src / "big")) == data);
}

TEST_CASE("given exclude patterns and cache directories when backed up then they are left out") {
  Fixture f;
  write_file(f.src / "keep.txt", "k");
  write_file(f.src / "drop.tmp", "d");
  fs::create_directories(f.src / "node_modules" / "x");
  write_file(f.src / "node_modules" / "x" / "y.js", "y");
  fs::create_directories(f.src / "abs");
  write_file(f.src / "abs" / "gone", "g");
  write_file(f.src / "abs" / "kept", "k");
  fs::create_directories(f.src / "cache" / "sub");
  write_file(f.src / "cache" / "CACHEDIR.TAG",
             "Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n");
  write_file(f.src / "cache" / "blob", "cached");
  write_file(f.src / "cache" / "sub" / "more", "cached");

  BackupOptions o;
  o.excludes.add_pattern("*.tmp");
  o.excludes.add_pattern("node_modules");
  o.excludes.add_pattern((f.src / "abs" / "gone").string());
  o.markers.cachedir_tag = true;
  Recorder r;
  BackupResult result = f.backup(o, nullptr, r);
  CHECK(r.warnings.empty());
  Tree t = f.dir_tree(result.snapshot, f.src);
  CHECK(names_of(t) == std::vector<std::string>{"abs", "cache", "keep.txt"});
  CHECK(names_of(f.dir_tree(result.snapshot, f.src / "abs")) == std::vector<std::string>{"kept"});
  // The cache dir stays, with only its tag.
  CHECK(names_of(f.dir_tree(result.snapshot, f.src / "cache")) ==
        std::vector<std::string>{"CACHEDIR.TAG"});
  CHECK(result.snapshot.excludes.size() == 3);
  CHECK(result.snapshot.excludes[0] == "*.tmp");

  SUBCASE("without exclude_caches the cache dir is backed up whole") {
    BackupOptions plain;
    BackupResult all = f.backup(plain, nullptr, r);
    CHECK(names_of(f.dir_tree(all.snapshot, f.src / "cache")) ==
          std::vector<std::string>{"CACHEDIR.TAG", "blob", "sub"});
  }
}

TEST_CASE("given directories holding a marker named by exclude-if-present when backed up then "
          "each keeps only its markers, and a marker of another name does nothing") {
  Fixture f;
  write_file(f.src / "keep.txt", "kept");
  fs::create_directories(f.src / "build");
  fs::create_directories(f.src / "docs");
  write_file(f.src / "build" / ".nobackup", "");
  write_file(f.src / "build" / "out.o", "object");
  fs::create_directories(f.src / "vm" / "disk");
  write_file(f.src / "vm" / "NOBACKUP", "any kind of entry");
  write_file(f.src / "vm" / "disk" / "image", "big");
  write_file(f.src / "docs" / ".nobackup-not", "another name");
  write_file(f.src / "docs" / "a.txt", "text");
  BackupOptions o;
  o.markers.names = {".nobackup", "NOBACKUP"};
  Recorder r;
  BackupResult result = f.backup(o, nullptr, r);
  CHECK(names_of(f.dir_tree(result.snapshot, f.src)) ==
        std::vector<std::string>{"build", "docs", "keep.txt", "vm"});
  CHECK(names_of(f.dir_tree(result.snapshot, f.src / "build")) ==
        std::vector<std::string>{".nobackup"});
  CHECK(names_of(f.dir_tree(result.snapshot, f.src / "vm")) ==
        std::vector<std::string>{"NOBACKUP"});
  CHECK(names_of(f.dir_tree(result.snapshot, f.src / "docs")) ==
        std::vector<std::string>{".nobackup-not", "a.txt"});
}

TEST_CASE("given a file that vanishes during the walk when backed up then a warning and a partial "
          "snapshot") {
  Fixture f;
  write_file(f.src / "a", "first");
  write_file(f.src / "b", "victim");
  write_file(f.src / "c", "last");
  Recorder r;
  // "b" was listed with the directory; it disappears before it is read.
  r.on_progress = [&](const BackupProgress& p) {
    if (p.current_path == (f.src / "a").string()) fs::remove(f.src / "b");
  };
  BackupResult result = f.backup(BackupOptions{}, nullptr, r);
  CHECK(result.partial);
  CHECK(result.snapshot.partial);
  CHECK(result.warnings >= 1);
  CHECK(result.snapshot.summary.files_failed == 1);
  CHECK(r.warned_about(f.src / "b", "vanished"));
  CHECK(names_of(f.dir_tree(result.snapshot, f.src)) == std::vector<std::string>{"a", "c"});
  CHECK(f.snapshot_count() == 1); // the backup went on and was saved
}

TEST_CASE("given an unreadable file and directory when backed up as a normal user then partial "
          "with warnings") {
  if (::geteuid() == 0) {
    MESSAGE("running as root, which reads everything; the vanishing-file case covers this path");
    return;
  }
  Fixture f;
  write_file(f.src / "ok", "ok");
  write_file(f.src / "secret", "s");
  fs::create_directories(f.src / "closed");
  write_file(f.src / "closed" / "x", "x");
  ::chmod((f.src / "secret").c_str(), 0);
  ::chmod((f.src / "closed").c_str(), 0);
  Recorder r;
  BackupResult result = f.backup(BackupOptions{}, nullptr, r);
  ::chmod((f.src / "closed").c_str(), 0700);
  CHECK(result.partial);
  CHECK(result.snapshot.summary.files_failed == 2);
  CHECK(r.warned_about(f.src / "secret", "Permission denied"));
  CHECK(r.warned_about(f.src / "closed", "Permission denied"));
  CHECK(names_of(f.dir_tree(result.snapshot, f.src)) == std::vector<std::string>{"ok"});
}

TEST_CASE(
    "given a file that grows while being read when backed up then a warning and the file is kept") {
  Fixture f;
  write_file(f.src / "growing", random_bytes(k_mib, 4));
  Recorder r;
  bool appended = false;
  r.on_progress = [&](const BackupProgress& p) {
    if (!appended && p.current_path == (f.src / "growing").string()) {
      std::ofstream(f.src / "growing", std::ios::binary | std::ios::app) << "more";
      appended = true;
    }
  };
  FilesCache cache;
  BackupResult result = f.backup(BackupOptions{}, &cache, r);
  REQUIRE(appended);
  CHECK(r.warned_about(f.src / "growing", "file changed while being read"));
  CHECK_FALSE(result.partial);
  auto node = f.node_at(result.snapshot, f.src / "growing");
  REQUIRE(node);
  CHECK(node->size == f.content(*node).size());
  // Not trusted next time.
  cache.save(f.tmp / "fc");
  CHECK_FALSE(FilesCache::load(f.tmp / "fc").find((f.src / "growing").string()).has_value());
}

TEST_CASE("given a cancellation mid-backup when the backup runs again then the uploaded blobs are "
          "reused") {
  Fixture f;
  write_file(f.src / "a", random_bytes(6 * k_mib, 5));
  write_file(f.src / "b", random_bytes(12 * k_mib, 6));
  Recorder r;
  r.cancel_after = 8; // a few files and chunks in
  try {
    f.backup(BackupOptions{}, nullptr, r);
    FAIL("the backup was not interrupted");
  } catch (const Error& e) {
    CHECK(e.code() == Code::interrupted);
    CHECK(std::string(e.what()).find("next backup reuses it") != std::string::npos);
  }
  const std::uint64_t uploaded = f.repo->stats().data_blobs_new;
  CHECK(uploaded > 0);
  CHECK(f.snapshot_count() == 0);

  f.reopen();
  BackupResult result = f.backup();
  std::set<BlobId> all;
  for (const char* name : {"a", "b"}) {
    auto node = f.node_at(result.snapshot, f.src / name);
    REQUIRE(node);
    all.insert(node->content.begin(), node->content.end());
  }
  CHECK(result.snapshot.summary.data_blobs_new + uploaded == all.size());
  CHECK(result.snapshot.summary.data_blobs_new < all.size());
}

TEST_CASE(
    "given a path that does not exist when backed up then Error(not_found) and nothing is stored") {
  Fixture f;
  write_file(f.src / "a", "a");
  BackupOptions o;
  o.paths = {f.src, f.tmp / "missing"};
  Recorder r;
  try {
    f.backup(o, nullptr, r);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Code::not_found);
    CHECK(std::string(e.what()).find("missing") != std::string::npos);
  }
  CHECK(f.snapshot_count() == 0);
  CHECK(list_all(f.store, "data/").empty());
}

TEST_CASE("given several paths when backed up then they share one root tree") {
  Fixture f;
  fs::create_directories(f.src / "x");
  fs::create_directories(f.src / "y");
  fs::create_directories(f.src / "z");
  write_file(f.src / "x" / "1", "1");
  write_file(f.src / "y" / "2", "2");
  write_file(f.src / "z" / "3", "3");
  BackupOptions o;
  // Relative forms and a path below another one given too.
  o.paths = {f.src / "y" / ".." / "x", f.src / "y" / "", f.src / "x" / "1"};
  Recorder r;
  BackupResult result = f.backup(o, nullptr, r);
  CHECK(r.warnings.empty());
  CHECK(result.snapshot.paths == std::vector<std::string>{(f.src / "x").string(),
                                                          (f.src / "y").string(),
                                                          (f.src / "x" / "1").string()});
  Tree t = f.dir_tree(result.snapshot, f.src);
  CHECK(names_of(t) == std::vector<std::string>{"x", "y"});
  check_metadata(*find_node(t, "x"), f.src / "x");
  CHECK(names_of(f.dir_tree(result.snapshot, f.src / "x")) == std::vector<std::string>{"1"});
  CHECK(names_of(f.dir_tree(result.snapshot, f.src / "y")) == std::vector<std::string>{"2"});
  // The root tree holds only the first component of the paths.
  Tree root = f.tree(result.snapshot.tree);
  REQUIRE(root.nodes.size() == 1);
  CHECK(root.nodes[0].name == f.src.relative_path().begin()->string());
}

TEST_CASE("given stdin when backed up then one file node of that name holds its bytes") {
  Fixture f;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const std::string payload = random_bytes(2 * k_mib + 7, 7);
  // The pipe buffer is smaller than the payload: write from a thread.
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < payload.size()) {
      ssize_t n = ::write(fds[1], payload.data() + done, payload.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
  });
  BackupOptions o;
  o.stdin_name = "dump.sql";
  o.stdin_fd = fds[0];
  o.time_ns = 1'700'000'000'000'000'000;
  Recorder r;
  BackupResult result = f.backup(o, nullptr, r);
  writer.join();
  ::close(fds[0]);
  Tree root = f.tree(result.snapshot.tree);
  REQUIRE(root.nodes.size() == 1);
  const Node& n = root.nodes[0];
  CHECK(n.name == "dump.sql");
  CHECK(n.type == NodeType::file);
  CHECK(n.mode == 0600);
  CHECK(n.mtime_ns == o.time_ns);
  CHECK(n.size == payload.size());
  CHECK(f.content(n) == payload);
  CHECK(result.snapshot.time_ns == o.time_ns);
  CHECK(result.snapshot.paths == std::vector<std::string>{"/dump.sql"});
}

TEST_CASE("given a dry run when backed up then nothing is stored but blobs are counted") {
  Fixture f;
  write_file(f.src / "a", random_bytes(2 * k_mib, 8));
  BackupOptions o;
  o.dry_run = true;
  FilesCache cache;
  Recorder r;
  BackupResult result = f.backup(o, &cache, r);
  CHECK(result.snapshot_id.empty());
  CHECK(result.snapshot.summary.data_blobs_new >= 1);
  CHECK(result.snapshot.summary.tree_blobs_new >= 1);
  CHECK(result.files_content_read == 1);
  CHECK(f.snapshot_count() == 0);
  CHECK(list_all(f.store, "data/").empty());
  cache.save(f.tmp / "fc");
  CHECK_FALSE(FilesCache::load(f.tmp / "fc").find((f.src / "a").string()).has_value());
}

TEST_CASE("given snapshot options when backed up then host, tags, user and time are recorded") {
  Fixture f;
  write_file(f.src / "a", "a");
  BackupOptions o;
  o.host = "testhost";
  o.tags = {"daily", "x"};
  o.time_ns = 1'600'000'000'123'456'789;
  Recorder r;
  BackupResult result = f.backup(o, nullptr, r);
  Snapshot s = f.repo->load_snapshot(result.snapshot_id);
  CHECK(s.host == "testhost");
  CHECK(s.tags == o.tags);
  CHECK(s.time_ns == o.time_ns);
  CHECK_FALSE(s.user.empty());
  CHECK(s.tree == result.snapshot.tree);
}

TEST_CASE("given one_file_system when /dev is backed up then mount points stay empty and devices "
          "are recorded") {
  // A non-empty mount point below /dev (devpts always holds ptmx).
  std::string mount;
  struct stat dev {};
  if (::stat("/dev", &dev) == 0) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/dev", ec)) {
      struct stat st {};
      if (::lstat(e.path().c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev != dev.st_dev &&
          !fs::is_empty(e.path(), ec)) {
        mount = e.path().filename().string();
        break;
      }
    }
  }
  if (mount.empty() || ::lstat("/dev/null", &dev) != 0 || !S_ISCHR(dev.st_mode)) {
    MESSAGE("no non-empty mount point below /dev here; skipped");
    return;
  }
  Fixture f;
  BackupOptions o;
  o.paths = {"/dev"};
  o.one_file_system = true;
  Recorder r;
  BackupResult result = f.backup(o, nullptr, r);
  Tree t = f.dir_tree(result.snapshot, "/dev");
  const Node* mount_node = find_node(t, mount);
  REQUIRE(mount_node != nullptr);
  CHECK(mount_node->type == NodeType::dir);
  check_metadata(*mount_node, fs::path("/dev") / mount);
  CHECK(f.tree(*mount_node->subtree).nodes.empty()); // another file system: not entered
  const Node* null_node = find_node(t, "null");
  REQUIRE(null_node != nullptr);
  CHECK(null_node->type == NodeType::chardev);
  CHECK(null_node->rdev == lstat_of("/dev/null").st_rdev);
  CHECK(null_node->content.empty());
  check_metadata(*null_node, "/dev/null");
}

TEST_CASE(
    "given a byte budget when producers outrun the consumer then the queue never holds more") {
  WorkQueue<int> queue(100);
  std::atomic<std::size_t> peak{0};
  std::thread consumer([&] {
    while (auto job = queue.pop()) {
      std::size_t now = queue.in_flight_bytes();
      std::size_t seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      queue.release(job->second);
    }
  });
  for (int i = 0; i < 1000; ++i)
    REQUIRE(queue.push(i, 30));
  // A job bigger than the whole budget still passes once the queue is empty.
  REQUIRE(queue.push(-1, 500));
  queue.wait_idle();
  queue.close();
  consumer.join();
  CHECK(peak.load() <= 500);
  CHECK(queue.in_flight_bytes() == 0);
  CHECK_FALSE(queue.push(1, 1)); // closed
}

TEST_CASE("given a small in-flight budget when a multi-chunk file is backed up then content order "
          "is kept") {
  Fixture f;
  const std::string data = random_bytes(6 * k_mib, 9);
  write_file(f.src / "f", data);
  BackupOptions o;
  o.max_in_flight_bytes = 1; // one chunk at a time
  o.threads = 3;
  Recorder r;
  BackupResult result = f.backup(o, nullptr, r);
  auto node = f.node_at(result.snapshot, f.src / "f");
  REQUIRE(node);
  CHECK(node->content.size() >= 3);
  CHECK(f.content(*node) == data);
}

TEST_CASE("given unchanged files when backed up again through the files cache or the parent "
          "then their extended attributes are kept, and one set since is seen") {
  Fixture f;
  write_file(f.src / "with", "has an attribute");
  write_file(f.src / "without", "has none");
  if (::setxattr((f.src / "with").c_str(), "user.offsite", "v", 1, 0) != 0) {
    MESSAGE("the file system refuses user xattrs; skipped");
    return;
  }
  FilesCache cache;
  const BackupResult first = f.backup(&cache);
  cache.save(f.tmp / "fc");
  CHECK(FilesCache::load(f.tmp / "fc").find((f.src / "without").string())->no_xattrs);
  CHECK_FALSE(FilesCache::load(f.tmp / "fc").find((f.src / "with").string())->no_xattrs);

  SUBCASE("through the files cache") {
    FilesCache loaded = FilesCache::load(f.tmp / "fc");
    const BackupResult second = f.backup(&loaded);
    CHECK(second.files_content_read == 0);
    CHECK(f.node_at(second.snapshot, f.src / "with")->xattrs.size() == 1);
    CHECK(f.node_at(second.snapshot, f.src / "without")->xattrs.empty());
    loaded.save(f.tmp / "fc");
    // An attribute set since changes the ctime: listed again, and kept.
    REQUIRE(::setxattr((f.src / "without").c_str(), "user.later", "w", 1, 0) == 0);
    FilesCache again = FilesCache::load(f.tmp / "fc");
    const BackupResult third = f.backup(&again);
    const auto later = f.node_at(third.snapshot, f.src / "without")->xattrs;
    REQUIRE(later.size() == 1);
    CHECK(later[0].first == "user.later");
  }
  SUBCASE("through the parent snapshot") {
    Recorder r;
    BackupOptions o;
    o.parent = first.snapshot_id;
    const BackupResult second = f.backup(o, nullptr, r);
    CHECK(second.files_content_read == 0);
    const auto with = f.node_at(second.snapshot, f.src / "with")->xattrs;
    REQUIRE(with.size() == 1);
    CHECK(with[0].second == "v");
  }
}

TEST_SUITE_END();
