#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/backup/archiver.hpp"
#include "core/common/error.hpp"
#include "core/format/tree.hpp"
#include "core/repo/repository.hpp"
#include "core/restore/restorer.hpp"
#include "core/restore/restorer_fs.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/counting_store.hpp"
#include "tests/unit/temp_dir.hpp"
#include "util/printable.hpp"

using namespace offsite;
using namespace offsite::core;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core::Restorer");

namespace {

constexpr std::int64_t k_mtime = 1'700'000'000'123'456'789;

struct Fixture {
  test::TempDir dir;
  LocalStore store{dir / "repo"};
  MasterKey key = MasterKey::generate();
  std::unique_ptr<Repository> repo;
  fs::path out = dir / "out";
  fs::path target = out / "target";
  fs::path sentinel = out / "sentinel"; // must stay empty: nothing escapes the target

  Fixture() {
    Repository::init(store, key, "pw", crypto::ScryptParams{1 << 10, 8, 1});
    repo = std::make_unique<Repository>(store, key);
    repo->load_index();
    fs::create_directories(sentinel);
  }

  BlobId data(std::string_view bytes) { return repo->save_blob(BlobType::data, as_bytes(bytes)); }
  BlobId tree(const std::vector<Node>& nodes) {
    Tree t;
    t.nodes = nodes; // deliberately unsorted and unchecked: tests craft hostile trees
    const Bytes encoded = encode_tree(t);
    return repo->save_blob(BlobType::tree, encoded);
  }
  Snapshot snapshot(const BlobId& root) {
    repo->flush();
    Snapshot s;
    s.tree = root;
    s.time_ns = k_mtime;
    s.host = "test";
    s.paths = {"/"};
    s.id = repo->save_snapshot(s);
    return s;
  }
  RestoreOptions options() const {
    RestoreOptions o;
    o.target = target;
    return o;
  }
  bool sentinel_empty() const { return fs::is_empty(sentinel); }
};

Node file_node(Fixture& f, std::string name, std::string_view content, std::uint32_t mode = 0644) {
  Node n;
  n.name = std::move(name);
  n.type = NodeType::file;
  n.mode = mode;
  n.mtime_ns = k_mtime;
  n.atime_ns = k_mtime;
  n.size = content.size();
  if (!content.empty()) n.content.push_back(f.data(content));
  n.uid = ::geteuid();
  n.gid = ::getegid();
  return n;
}

Node dir_node(std::string name, const BlobId& subtree, std::uint32_t mode = 0755) {
  Node n;
  n.name = std::move(name);
  n.type = NodeType::dir;
  n.mode = mode;
  n.mtime_ns = k_mtime;
  n.atime_ns = k_mtime;
  n.subtree = subtree;
  n.uid = ::geteuid();
  n.gid = ::getegid();
  return n;
}

Node symlink_node(std::string name, std::string target) {
  Node n;
  n.name = std::move(name);
  n.type = NodeType::symlink;
  n.mode = 0777;
  n.mtime_ns = k_mtime;
  n.link_target = std::move(target);
  n.uid = ::geteuid();
  n.gid = ::getegid();
  return n;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Lstat {
  struct stat st {};
  explicit Lstat(const fs::path& p) { REQUIRE(::lstat(p.c_str(), &st) == 0); }
  std::int64_t mtime_ns() const {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  std::uint32_t mode() const { return st.st_mode & 07777; }
};

struct Recorder : RestoreReporter {
  std::vector<std::string> warnings;
  RestoreProgress last;
  std::uint64_t progress_calls = 0;
  int cancel_after_progress = -1;
  void warning(const std::string& path, const std::string& message) override {
    warnings.push_back(path + ": " + message);
  }
  void progress(const RestoreProgress& p) override {
    last = p;
    ++progress_calls;
  }
  bool cancelled() override {
    return cancel_after_progress >= 0 &&
           progress_calls >= static_cast<std::uint64_t>(cancel_after_progress);
  }
};

// Tree /home/a/docs/{x.txt, y.tmp}, /home/a/notes.txt, /home/b/z.txt
Snapshot home_snapshot(Fixture& f) {
  const auto docs = f.tree({file_node(f, "x.txt", "xxx"), file_node(f, "y.tmp", "yy")});
  const auto a = f.tree({dir_node("docs", docs), file_node(f, "notes.txt", "notes")});
  const auto b = f.tree({file_node(f, "z.txt", "zzz")});
  const auto home = f.tree({dir_node("a", a), dir_node("b", b)});
  return f.snapshot(f.tree({dir_node("home", home)}));
}

Code restore_code(Fixture& f, const Snapshot& snap, const RestoreOptions& o) {
  Recorder r;
  try {
    restore(*f.repo, snap, o, r);
  } catch (const Error& e) {
    return e.code();
  }
  return Code::generic;
}

std::string restore_message(Fixture& f, const Snapshot& snap, const RestoreOptions& o) {
  Recorder r;
  try {
    restore(*f.repo, snap, o, r);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

} // namespace

// --- Hostile snapshots -------------------------------------------------------

TEST_CASE("given a tree with an unsafe name when restoring then it is refused and nothing is "
          "written anywhere") {
  for (const std::string& bad :
       {std::string("../evil"), std::string("a/b"), std::string("."), std::string(".."),
        std::string(""), std::string("nul\0x", 5), std::string("../../sentinel")}) {
    const std::string shown = util::printable(bad, {.quoted = true});
    CAPTURE(shown);
    Fixture f;
    // The bad entry sits one level down, after a good sibling, so a restorer
    // that judged names only while writing would already have written.
    const auto inner = f.tree({file_node(f, "good", "ok"), file_node(f, bad, "evil")});
    const auto snap = f.snapshot(f.tree({dir_node("d", inner)}));
    Recorder r;
    try {
      restore(*f.repo, snap, f.options(), r);
      FAIL("restore accepted an unsafe name");
    } catch (const Error& e) {
      CHECK(e.code() == Code::integrity);
      CHECK(std::string(e.what()).find("unsafe file name") != std::string::npos);
      CHECK(std::string(e.what()).find("/d") != std::string::npos);
    }
    CHECK(f.sentinel_empty());
    CHECK_FALSE(fs::exists(f.target)); // pre-scan: not even the target was created
    CHECK_FALSE(fs::exists(f.out / "evil"));
  }
}

TEST_CASE("given a name with control bytes when refusing it then the message escapes them") {
  Fixture f;
  const auto snap = f.snapshot(f.tree({file_node(f, "a/\x1b[31m\n", "x")}));
  const std::string msg = restore_message(f, snap, f.options());
  CHECK(msg.find("\"a/\\x1b[31m\\x0a\"") != std::string::npos);
  CHECK(msg.find('\x1b') == std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("given a symlink and a directory both named x when restoring then it is refused before "
          "anything is written through the symlink") {
  Fixture f;
  const auto inner = f.tree({file_node(f, "planted", "evil")});
  // Symlink first: a naive restorer creates it, then "enters" the dir x
  // through it and writes into the sentinel.
  const auto snap =
      f.snapshot(f.tree({symlink_node("x", f.sentinel.string()), dir_node("x", inner)}));
  Recorder r;
  try {
    restore(*f.repo, snap, f.options(), r);
    FAIL("restore accepted a duplicate name");
  } catch (const Error& e) {
    CHECK(e.code() == Code::integrity);
    CHECK(std::string(e.what()).find("\"x\" (listed twice)") != std::string::npos);
  }
  CHECK(f.sentinel_empty());
  CHECK_FALSE(fs::exists(f.target));
}

TEST_CASE("given a symlink pointing out of the snapshot when restoring then it is restored as a "
          "symlink and never followed") {
  Fixture f;
  const auto snap = f.snapshot(
      f.tree({symlink_node("up", "../../sentinel"), symlink_node("abs", f.sentinel.string())}));
  Recorder r;
  const auto res = restore(*f.repo, snap, f.options(), r);
  CHECK(res.other == 2);
  CHECK(fs::is_symlink(f.target / "up"));
  CHECK(fs::read_symlink(f.target / "up") == "../../sentinel");
  CHECK(fs::read_symlink(f.target / "abs") == f.sentinel);
  CHECK(f.sentinel_empty());
}

TEST_CASE("given a target where a directory's name is a symlink pointing out when restoring then "
          "the symlink is replaced and nothing is written through it") {
  Fixture f;
  const auto inner = f.tree({file_node(f, "planted", "data")});
  const auto snap = f.snapshot(f.tree({dir_node("x", inner)}));
  fs::create_directories(f.target);
  fs::create_directory_symlink(f.sentinel, f.target / "x");

  SUBCASE("overwrite always: replaced by the directory") {
    Recorder r;
    restore(*f.repo, snap, f.options(), r);
    CHECK_FALSE(fs::is_symlink(f.target / "x"));
    CHECK(read_file(f.target / "x" / "planted") == "data");
  }
  SUBCASE("overwrite never: left alone, still not followed") {
    auto o = f.options();
    o.overwrite = Overwrite::never;
    Recorder r;
    const auto res = restore(*f.repo, snap, o, r);
    CHECK(res.skipped == 1);
    CHECK(fs::is_symlink(f.target / "x"));
  }
  CHECK(f.sentinel_empty());
}

TEST_CASE("given a target where a file's name is a symlink pointing out when restoring then the "
          "symlink is replaced, the outside file untouched") {
  Fixture f;
  { std::ofstream(f.sentinel / "victim") << "original"; }
  const auto snap = f.snapshot(f.tree({file_node(f, "f", "restored")}));
  fs::create_directories(f.target);
  fs::create_symlink(f.sentinel / "victim", f.target / "f");
  Recorder r;
  restore(*f.repo, snap, f.options(), r);
  CHECK_FALSE(fs::is_symlink(f.target / "f"));
  CHECK(read_file(f.target / "f") == "restored");
  CHECK(read_file(f.sentinel / "victim") == "original");
}

// --- Round trip of file types and metadata -----------------------------------

TEST_CASE("given files of every kind when restoring then contents, modes and times match") {
  Fixture f;
  Node regular = file_node(f, "regular", "hello world", 0640);
  Node empty = file_node(f, "empty", "", 0600);
  Node exec = file_node(f, "run.sh", "#!/bin/sh\n", 0755);
  Node link = symlink_node("link", "regular");
  Node fifo;
  fifo.name = "fifo";
  fifo.type = NodeType::fifo;
  fifo.mode = 0620;
  fifo.mtime_ns = k_mtime + 5;
  fifo.atime_ns = k_mtime;
  fifo.uid = ::geteuid();
  fifo.gid = ::getegid();
  Node sock;
  sock.name = "sock";
  sock.type = NodeType::socket;
  const auto sub = f.tree({file_node(f, "inner", "in")});
  Node dir = dir_node("dir", sub, 0750);
  dir.mtime_ns = k_mtime + 42;
  const auto snap = f.snapshot(f.tree({dir, empty, fifo, link, regular, exec, sock}));

  Recorder r;
  const auto res = restore(*f.repo, snap, f.options(), r);
  CHECK(res.files == 4);
  CHECK(res.dirs == 1);
  CHECK(res.other == 2);
  CHECK(res.skipped == 1); // the socket
  CHECK(res.bytes == 11 + 10 + 2);
  CHECK(r.warnings.empty());

  // atime first: reading the file below may update it (relatime).
  CHECK(Lstat(f.target / "regular").st.st_atim.tv_nsec == 123'456'789);
  CHECK(read_file(f.target / "regular") == "hello world");
  CHECK(Lstat(f.target / "regular").mode() == 0640);
  CHECK(Lstat(f.target / "regular").mtime_ns() == k_mtime);
  CHECK(Lstat(f.target / "empty").st.st_size == 0);
  CHECK(Lstat(f.target / "empty").mode() == 0600);
  CHECK(Lstat(f.target / "run.sh").mode() == 0755);
  CHECK(S_ISLNK(Lstat(f.target / "link").st.st_mode));
  CHECK(fs::read_symlink(f.target / "link") == "regular");
  CHECK(Lstat(f.target / "link").mtime_ns() == k_mtime);
  CHECK(S_ISFIFO(Lstat(f.target / "fifo").st.st_mode));
  CHECK(Lstat(f.target / "fifo").mode() == 0620);
  CHECK(Lstat(f.target / "fifo").mtime_ns() == k_mtime + 5);
  CHECK_FALSE(fs::exists(fs::symlink_status(f.target / "sock")));
  // The directory's mtime survives the files created in it afterwards.
  CHECK(Lstat(f.target / "dir").mtime_ns() == k_mtime + 42);
  CHECK(Lstat(f.target / "dir").mode() == 0750);
  CHECK(read_file(f.target / "dir" / "inner") == "in");
  // No temporary names left over.
  for (const auto& e : fs::recursive_directory_iterator(f.target))
    CHECK(e.path().filename().string().find("offsite-tmp") == std::string::npos);
}

TEST_CASE("given a file of several blobs when restoring then they are concatenated in order") {
  Fixture f;
  Node n = file_node(f, "multi", "");
  const std::string a(100'000, 'a'), b = "middle", c(5000, 'c');
  n.content = {f.data(a), f.data(b), f.data(a), f.data(c)};
  n.size = a.size() * 2 + b.size() + c.size();
  const auto snap = f.snapshot(f.tree({n}));
  Recorder r;
  const auto res = restore(*f.repo, snap, f.options(), r);
  CHECK(read_file(f.target / "multi") == a + b + a + c);
  CHECK(res.bytes == n.size);
  CHECK(r.last.bytes_total == n.size);
  CHECK(r.last.bytes_done == n.size);
}

TEST_CASE("given a sparse file when restoring then zero runs become holes") {
  Fixture f;
  const std::string zeros(1 << 20, '\0');
  const std::string content = zeros + "payload" + zeros + zeros;
  Node n = file_node(f, "sparse", "");
  // Blobs that do not start on 4 KiB boundaries: the hole logic must use file
  // offsets, not blob offsets.
  n.content = {f.data(zeros.substr(0, 1000)), f.data(zeros.substr(1000) + "payload" + zeros),
               f.data(zeros)};
  n.size = content.size();
  n.sparse = true;
  const auto snap = f.snapshot(f.tree({n}));
  Recorder r;
  restore(*f.repo, snap, f.options(), r);
  CHECK(read_file(f.target / "sparse") == content);
  const Lstat st(f.target / "sparse");
  CHECK(static_cast<std::uint64_t>(st.st.st_size) == content.size());
  CHECK(static_cast<std::uint64_t>(st.st.st_blocks) * 512 < 64 * 1024);
}

TEST_CASE("given a file not marked sparse when restoring then its zeros are written out") {
  Fixture f;
  const std::string zeros(std::size_t{256} << 10, '\0');
  const auto snap = f.snapshot(f.tree({file_node(f, "dense", zeros)}));
  Recorder r;
  restore(*f.repo, snap, f.options(), r);
  CHECK(static_cast<std::uint64_t>(Lstat(f.target / "dense").st.st_blocks) * 512 >= zeros.size());
}

TEST_CASE("given two names of one inode when restoring then they are hardlinked") {
  Fixture f;
  Node a = file_node(f, "a", "shared");
  a.links = 2;
  a.device_id = 7;
  a.inode = 99;
  Node b = a;
  b.name = "b";
  Node c = a; // same inode claimed, different content: must not be linked
  c.name = "c";
  c.content = {f.data("other")};
  c.size = 5;
  const auto sub = f.tree({b});
  const auto snap = f.snapshot(f.tree({a, c, dir_node("sub", sub)}));
  Recorder r;
  const auto res = restore(*f.repo, snap, f.options(), r);
  CHECK(res.files == 3);
  const Lstat sa(f.target / "a"), sb(f.target / "sub" / "b"), sc(f.target / "c");
  CHECK(sa.st.st_ino == sb.st.st_ino);
  CHECK(sa.st.st_nlink == 2);
  CHECK(sc.st.st_ino != sa.st.st_ino);
  CHECK(read_file(f.target / "sub" / "b") == "shared");
  CHECK(read_file(f.target / "c") == "other");
}

TEST_CASE("given extended attributes when restoring then they are set") {
  Fixture f;
  Node n = file_node(f, "x", "data");
  n.xattrs = {{"user.comment", std::string("bin\0ary", 7)}};
  const auto sub = f.tree({});
  Node d = dir_node("d", sub);
  d.xattrs = {{"user.dir", "yes"}};
  const auto snap = f.snapshot(f.tree({n, d}));
  Recorder r;
  restore(*f.repo, snap, f.options(), r);
  char buf[32];
  const auto len = ::getxattr((f.target / "x").c_str(), "user.comment", buf, sizeof buf);
  REQUIRE(len == 7);
  CHECK(std::string(buf, 7) == std::string("bin\0ary", 7));
  CHECK(::getxattr((f.target / "d").c_str(), "user.dir", buf, sizeof buf) == 3);
}

TEST_CASE("given setuid bits when restoring without ownership then they are dropped") {
  Fixture f;
  const auto snap = f.snapshot(f.tree({file_node(f, "suid", "x", 04755)}));
  SUBCASE("without ownership") {
    auto o = f.options();
    o.ownership = false;
    Recorder r;
    restore(*f.repo, snap, o, r);
    CHECK(Lstat(f.target / "suid").mode() == 0755);
  }
  if (::geteuid() == 0) {
    SUBCASE("with ownership, as root") {
      auto o = f.options();
      o.ownership = true;
      Recorder r;
      restore(*f.repo, snap, o, r);
      CHECK(Lstat(f.target / "suid").mode() == 04755);
    }
  }
}

TEST_CASE("given owners unknown on this system when restoring as root then numeric ids are used") {
  if (::geteuid() != 0) return; // chown to other users needs root
  Fixture f;
  Node n = file_node(f, "owned", "x");
  n.uid = 12345;
  n.gid = 23456;
  n.user = "no-such-user-offsite";
  n.group = "no-such-group-offsite";
  Node root_named = file_node(f, "named", "x");
  root_named.uid = 777; // the name wins when it exists here
  root_named.user = "root";
  root_named.gid = 778;
  root_named.group = "root";
  Node link = symlink_node("link", "owned");
  link.uid = 4242;
  const auto snap = f.snapshot(f.tree({n, root_named, link}));
  Recorder r;
  restore(*f.repo, snap, f.options(), r); // ownership defaults to on for root
  CHECK(Lstat(f.target / "owned").st.st_uid == 12345);
  CHECK(Lstat(f.target / "owned").st.st_gid == 23456);
  CHECK(Lstat(f.target / "named").st.st_uid == 0);
  CHECK(Lstat(f.target / "named").st.st_gid == 0);
  CHECK(Lstat(f.target / "link").st.st_uid == 4242);
}

TEST_CASE("given a character device when restoring as root then it is recreated") {
  Fixture f;
  Node dev;
  dev.name = "null";
  dev.type = NodeType::chardev;
  dev.mode = 0666;
  dev.rdev = makedev(1, 3);
  dev.mtime_ns = k_mtime;
  const auto snap = f.snapshot(f.tree({dev}));
  Recorder r;
  const auto res = restore(*f.repo, snap, f.options(), r);
  if (::geteuid() == 0 && r.warnings.empty()) {
    const Lstat st(f.target / "null");
    CHECK(S_ISCHR(st.st.st_mode));
    CHECK(st.st.st_rdev == makedev(1, 3));
    CHECK(res.other == 1);
  } else {
    // Not root (or no CAP_MKNOD): a warning, and nothing created.
    CHECK(r.warnings.size() == 1);
    CHECK_FALSE(fs::exists(fs::symlink_status(f.target / "null")));
  }
}

// --- Selection ---------------------------------------------------------------

TEST_CASE("given a sub-path when restoring then its last component lands in the target") {
  Fixture f;
  const auto snap = home_snapshot(f);
  auto o = f.options();
  SUBCASE("a directory") {
    o.sub_path = "/home/a/docs";
    Recorder r;
    const auto res = restore(*f.repo, snap, o, r);
    CHECK(read_file(f.target / "docs" / "x.txt") == "xxx");
    CHECK(fs::exists(f.target / "docs" / "y.tmp"));
    CHECK_FALSE(fs::exists(f.target / "home"));
    CHECK(res.files == 2);
    CHECK(r.last.bytes_total == 5);
  }
  SUBCASE("a single file, with a trailing slash and dots normalized") {
    o.sub_path = "/home/./b/../a/notes.txt/";
    Recorder r;
    restore(*f.repo, snap, o, r);
    CHECK(read_file(f.target / "notes.txt") == "notes");
    CHECK(std::distance(fs::directory_iterator(f.target), fs::directory_iterator()) == 1);
  }
  SUBCASE("the root is everything") {
    o.sub_path = "/";
    Recorder r;
    restore(*f.repo, snap, o, r);
    CHECK(read_file(f.target / "home" / "b" / "z.txt") == "zzz");
  }
}

TEST_CASE("given an unknown sub-path when restoring then not_found and nothing is created") {
  Fixture f;
  const auto snap = home_snapshot(f);
  auto o = f.options();
  o.sub_path = "/home/nobody";
  CHECK(restore_code(f, snap, o) == Code::not_found);
  o.sub_path = "/home/a/notes.txt/below";
  CHECK(restore_code(f, snap, o) == Code::not_found);
  CHECK_FALSE(fs::exists(f.target));
}

TEST_CASE("given many directories of one small file each when restoring then their blobs are "
          "read in runs across directories, not with a get per directory") {
  Fixture f;
  std::vector<Node> dirs;
  BlobId first{};
  for (int i = 0; i < 60; ++i) {
    Node file = file_node(f, "f", "content of file " + std::to_string(i));
    if (i == 0) first = file.content.front();
    dirs.push_back(dir_node("d" + std::to_string(100 + i), f.tree({file})));
  }
  const Snapshot snap = f.snapshot(f.tree(dirs));
  test::CountingStore counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  counting.count_only(Repository::pack_key(repo.index().find(first)->pack));
  Recorder r;
  restore(repo, snap, f.options(), r);
  CHECK(read_file(f.target / "d100" / "f") == "content of file 0");
  CHECK(read_file(f.target / "d159" / "f") == "content of file 59");
  // One directory at a time, every file was a get of its own (60).
  CHECK(counting.gets.load() < 10);
}

TEST_CASE("given a file of more blobs than the restore looks ahead when restoring then its "
          "later blobs are read in runs too") {
  Fixture f;
  Node big = file_node(f, "big", "");
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    const std::string piece = "piece " + std::to_string(i) + ";";
    big.content.push_back(f.data(piece));
    expected += piece;
  }
  big.size = expected.size();
  const Snapshot snap = f.snapshot(f.tree({big}));
  test::CountingStore counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  counting.count_only(Repository::pack_key(repo.index().find(big.content.front())->pack));
  Recorder r;
  restore(repo, snap, f.options(), r);
  CHECK(read_file(f.target / "big") == expected);
  // The 904 blobs past the first 4096 used to be fetched one by one.
  CHECK(counting.gets.load() < 100);
}

TEST_CASE("given a target where most files are already in place when restoring with "
          "if-changed then the files still missing are read in runs") {
  Fixture f;
  std::vector<Node> files;
  // More files in place than the restore looks ahead (4096 blobs).
  for (int i = 0; i < 4300; ++i)
    files.push_back(file_node(f, "f" + std::to_string(10000 + i), "file " + std::to_string(i)));
  const Snapshot snap = f.snapshot(f.tree(files));
  {
    Recorder r;
    restore(*f.repo, snap, f.options(), r);
  }
  for (int i = 4200; i < 4300; ++i) // an interrupted restore: the last hundred are missing
    fs::remove(f.target / ("f" + std::to_string(10000 + i)));
  test::CountingStore counting(f.store);
  Repository repo(counting, f.key);
  repo.load_index();
  counting.count_only(Repository::pack_key(repo.index().find(files.front().content.front())->pack));
  RestoreOptions o = f.options();
  o.overwrite = Overwrite::if_changed;
  Recorder r;
  const RestoreResult result = restore(repo, snap, o, r);
  CHECK(result.skipped == 4200);
  CHECK(read_file(f.target / "f14299") == "file 4299");
  CHECK(counting.gets.load() < 20);
}

TEST_CASE("given excludes when restoring then matching entries and everything below are skipped") {
  Fixture f;
  const auto snap = home_snapshot(f);
  auto o = f.options();
  o.excludes.add_pattern("*.tmp");
  o.excludes.add_pattern("/home/b");
  Recorder r;
  restore(*f.repo, snap, o, r);
  CHECK(fs::exists(f.target / "home" / "a" / "docs" / "x.txt"));
  CHECK_FALSE(fs::exists(f.target / "home" / "a" / "docs" / "y.tmp"));
  CHECK_FALSE(fs::exists(f.target / "home" / "b"));
  CHECK(r.last.bytes_total == 3 + 5);
}

TEST_CASE("given includes when restoring then only matches and the dirs leading to them exist") {
  Fixture f;
  const auto snap = home_snapshot(f);
  auto o = f.options();
  SUBCASE("an absolute directory") {
    o.includes.add_pattern("/home/a/docs");
    Recorder r;
    restore(*f.repo, snap, o, r);
    CHECK(fs::exists(f.target / "home" / "a" / "docs" / "x.txt"));
    CHECK(fs::exists(f.target / "home" / "a" / "docs" / "y.tmp"));
    CHECK_FALSE(fs::exists(f.target / "home" / "a" / "notes.txt"));
    CHECK_FALSE(fs::exists(f.target / "home" / "b"));
  }
  SUBCASE("a file pattern: directories without matches are not created") {
    o.includes.add_pattern("x.txt");
    Recorder r;
    restore(*f.repo, snap, o, r);
    CHECK(fs::exists(f.target / "home" / "a" / "docs" / "x.txt"));
    CHECK_FALSE(fs::exists(f.target / "home" / "a" / "docs" / "y.tmp"));
    CHECK_FALSE(fs::exists(f.target / "home" / "a" / "notes.txt"));
    CHECK_FALSE(fs::exists(f.target / "home" / "b"));
    CHECK(r.last.bytes_total == 3);
  }
  SUBCASE("includes and excludes together: exclude wins") {
    o.includes.add_pattern("/home/a");
    o.excludes.add_pattern("docs");
    Recorder r;
    restore(*f.repo, snap, o, r);
    CHECK(fs::exists(f.target / "home" / "a" / "notes.txt"));
    CHECK_FALSE(fs::exists(f.target / "home" / "a" / "docs"));
  }
}

// --- Overwrite policies ------------------------------------------------------

TEST_CASE("given existing files when restoring then the overwrite policy decides") {
  Fixture f;
  Node same = file_node(f, "same", "snapshot-same");
  Node diff = file_node(f, "diff", "snapshot-diff");
  const auto snap = f.snapshot(f.tree({same, diff, file_node(f, "new", "new")}));
  fs::create_directories(f.target);
  // "same" has the snapshot's size and mtime but other bytes: only a policy
  // that skips on size+mtime keeps them.
  { std::ofstream(f.target / "same") << "existing-same"; }
  { std::ofstream(f.target / "diff") << "old"; }
  const std::array<timespec, 2> times{restore_detail::to_timespec(k_mtime),
                                      restore_detail::to_timespec(k_mtime)};
  REQUIRE(::utimensat(AT_FDCWD, (f.target / "same").c_str(), times.data(), 0) == 0);
  auto o = f.options();
  Recorder r;
  SUBCASE("never") {
    o.overwrite = Overwrite::never;
    const auto res = restore(*f.repo, snap, o, r);
    CHECK(read_file(f.target / "same") == "existing-same");
    CHECK(read_file(f.target / "diff") == "old");
    CHECK(read_file(f.target / "new") == "new");
    CHECK(res.skipped == 2);
    CHECK(res.files == 1);
  }
  SUBCASE("if_changed") {
    o.overwrite = Overwrite::if_changed;
    const auto res = restore(*f.repo, snap, o, r);
    CHECK(read_file(f.target / "same") == "existing-same");
    CHECK(read_file(f.target / "diff") == "snapshot-diff");
    CHECK(res.skipped == 1);
  }
  SUBCASE("always") {
    const auto res = restore(*f.repo, snap, o, r);
    CHECK(read_file(f.target / "same") == "snapshot-same");
    CHECK(read_file(f.target / "diff") == "snapshot-diff");
    CHECK(res.skipped == 0);
  }
}

TEST_CASE("given a directory where the snapshot has a file when restoring then the directory is "
          "kept and a warning given") {
  Fixture f;
  const auto snap = f.snapshot(f.tree({file_node(f, "x", "file")}));
  fs::create_directories(f.target / "x");
  { std::ofstream(f.target / "x" / "keep") << "mine"; }
  Recorder r;
  const auto res = restore(*f.repo, snap, f.options(), r);
  CHECK(read_file(f.target / "x" / "keep") == "mine");
  CHECK(res.skipped == 1);
  CHECK(r.warnings.size() == 1);
}

// --- Verify, progress, errors ------------------------------------------------

TEST_CASE("given a good restore with verify when it finishes then every file is verified") {
  Fixture f;
  Node big = file_node(f, "big", "");
  const std::string part(70'000, 'q');
  big.content = {f.data(part), f.data("tail")};
  big.size = part.size() + 4;
  Node sparse = file_node(f, "sparse", std::string(8192, '\0'));
  sparse.sparse = true;
  Node a = file_node(f, "a", "linked");
  a.links = 2;
  a.inode = 5;
  Node b = a;
  b.name = "b";
  const auto snap = f.snapshot(f.tree({a, b, big, file_node(f, "empty", ""), sparse}));
  auto o = f.options();
  o.verify = true;
  Recorder r;
  const auto res = restore(*f.repo, snap, o, r);
  CHECK(res.verified == 5); // b is a's inode: verified with it (issue 19: "89 verified" of 90)
  CHECK(res.files == 5);
  CHECK(r.warnings.empty());
}

TEST_CASE("given a reporter when restoring then progress reaches the total computed up front") {
  Fixture f;
  const auto snap = home_snapshot(f);
  Recorder r;
  const auto res = restore(*f.repo, snap, f.options(), r);
  CHECK(r.last.bytes_total == 3 + 2 + 5 + 3);
  CHECK(r.last.bytes_done == r.last.bytes_total);
  CHECK(r.last.files_done == res.files);
  CHECK(res.files == 4);
  CHECK(res.dirs == 4);
}

TEST_CASE("given a cancel request when restoring then it stops with interrupted and leaves no "
          "temporary files") {
  Fixture f;
  const auto snap = home_snapshot(f);
  Recorder r;
  r.cancel_after_progress = 2;
  try {
    restore(*f.repo, snap, f.options(), r);
    FAIL("restore was not interrupted");
  } catch (const Error& e) {
    CHECK(e.code() == Code::interrupted);
  }
  std::uint64_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(f.target)) {
    CHECK(e.path().filename().string().find("offsite-tmp") == std::string::npos);
    if (e.is_regular_file()) ++files;
  }
  CHECK(files < 4);
}

TEST_CASE("given a blob missing from the repository when restoring then that file is left out and "
          "named, the others are restored and no half-written file remains") {
  Fixture f;
  Node n = file_node(f, "f", "");
  n.content = {f.repo->codec().id_of(as_bytes("never saved"))};
  n.size = 11;
  const auto snap =
      f.snapshot(f.tree({file_node(f, "before", "ok"), n, file_node(f, "z", "after")}));
  Recorder r;
  const auto result = restore(*f.repo, snap, f.options(), r);
  REQUIRE(result.damaged.size() == 1);
  CHECK(result.damaged[0].path == "/f");
  CHECK_FALSE(result.damaged[0].directory);
  CHECK(result.damaged[0].reason.find("not in the repository") != std::string::npos);
  CHECK(result.files == 2);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].rfind("/f: not restored: its data is damaged or missing", 0) == 0);
  CHECK(read_file(f.target / "before") == "ok");
  CHECK(read_file(f.target / "z") == "after");
  CHECK_FALSE(fs::exists(f.target / "f"));
  for (const auto& e : fs::directory_iterator(f.target))
    CHECK(e.path().filename().string().find("offsite-tmp") == std::string::npos);
}

// --- Round trip through the archiver -----------------------------------------

namespace {

void set_mtime(const fs::path& p, std::int64_t ns) {
  const std::array<timespec, 2> times{restore_detail::to_timespec(ns),
                                      restore_detail::to_timespec(ns)};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) == 0);
}

std::string pseudo_random(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  for (auto& c : s) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return s;
}

// Compares every entry below `a` with its twin below `b`.
void compare_trees(const fs::path& a, const fs::path& b) {
  std::vector<fs::path> rels{""};
  for (const auto& e : fs::recursive_directory_iterator(a))
    rels.push_back(e.path().lexically_relative(a));
  std::size_t count_b = 0;
  for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(b))
    ++count_b;
  CHECK(count_b + 1 == rels.size());
  for (const auto& rel : rels) {
    CAPTURE(rel);
    const Lstat sa(a / rel), sb(b / rel);
    CHECK((sa.st.st_mode & S_IFMT) == (sb.st.st_mode & S_IFMT));
    if (!S_ISLNK(sa.st.st_mode)) CHECK(sa.mode() == sb.mode());
    CHECK(sa.mtime_ns() == sb.mtime_ns());
    CHECK(sa.st.st_uid == sb.st.st_uid);
    CHECK(sa.st.st_gid == sb.st.st_gid);
    if (S_ISREG(sa.st.st_mode)) {
      CHECK(sa.st.st_size == sb.st.st_size);
      CHECK(read_file(a / rel) == read_file(b / rel));
      CHECK(sa.st.st_nlink == sb.st.st_nlink);
    }
    if (S_ISLNK(sa.st.st_mode)) CHECK(fs::read_symlink(a / rel) == fs::read_symlink(b / rel));
  }
}

} // namespace

TEST_CASE("given a directory backed up by the archiver when restoring it then bytes and metadata "
          "match the original") {
  Fixture f;
  const fs::path src = f.dir / "src";
  fs::create_directories(src / "sub");
  {
    std::ofstream(src / "regular", std::ios::binary)
        << pseudo_random((std::size_t{2} << 20) + 17, 1);
  }
  { std::ofstream(src / "empty"); }
  {
    // 4 MiB with one byte of data: mostly holes.
    const int fd = ::open((src / "sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, "x", 1, off_t{3} << 20) == 1);
    REQUIRE(::ftruncate(fd, off_t{4} << 20) == 0);
    ::close(fd);
  }
  { std::ofstream(src / "hard1") << "two names"; }
  fs::create_hard_link(src / "hard1", src / "sub" / "hard2");
  fs::create_symlink("regular", src / "link");
  fs::create_symlink("../../../etc", src / "out");
  REQUIRE(::mkfifo((src / "fifo").c_str(), 0640) == 0);
  { std::ofstream(src / "sub" / "attrs") << "with xattr"; }
  REQUIRE(::setxattr((src / "sub" / "attrs").c_str(), "user.note", "v1", 2, 0) == 0);
  fs::permissions(src / "regular", fs::perms(0640));
  fs::permissions(src / "sub", fs::perms(0750));
  set_mtime(src / "regular", k_mtime + 1);
  set_mtime(src / "link", k_mtime + 2);
  set_mtime(src / "sub" / "attrs", k_mtime + 3);
  set_mtime(src / "sub", k_mtime + 4);
  set_mtime(src, k_mtime + 5);

  BackupOptions bo;
  bo.paths = {src};
  bo.time_ns = k_mtime;
  BackupReporter br;
  const auto backed = backup(*f.repo, nullptr, bo, br);
  REQUIRE_FALSE(backed.partial);
  const Snapshot snap = f.repo->load_snapshot(backed.snapshot_id);

  auto o = f.options();
  o.sub_path = src.string();
  o.verify = true;
  Recorder r;
  const auto res = restore(*f.repo, snap, o, r);
  CHECK(r.warnings.empty());
  CHECK(res.verified == 6); // regular, empty, sparse, hard1, hard2 (hard1's inode), attrs
  const fs::path out = f.target / "src";
  compare_trees(src, out);
  CHECK(Lstat(out / "hard1").st.st_ino == Lstat(out / "sub" / "hard2").st.st_ino);
  CHECK(static_cast<std::uint64_t>(Lstat(out / "sparse").st.st_blocks) * 512 < 1024 * 1024);
  char buf[8];
  CHECK(::getxattr((out / "sub" / "attrs").c_str(), "user.note", buf, sizeof buf) == 2);
  CHECK(f.sentinel_empty());

  // The whole snapshot lands under its absolute path.
  auto whole = f.options();
  whole.target = f.out / "whole";
  const auto res2 = restore(*f.repo, snap, whole, r);
  CHECK(res2.files == res.files);
  compare_trees(src, whole.target / src.lexically_relative("/"));
}

TEST_SUITE_END();
