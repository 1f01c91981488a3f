#include <doctest/doctest.h>

#include <unistd.h>

#include <memory>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/repo/snapshot_select.hpp"
#include "core/store/local_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using namespace offsite::core;

TEST_SUITE_BEGIN("core::SnapshotSelect");

namespace {

struct Fixture {
  test::TempDir dir;
  LocalStore store{dir / "repo"};
  MasterKey key = MasterKey::generate();
  std::unique_ptr<Repository> repo;

  Fixture() {
    Repository::init(store, key, "pw", crypto::ScryptParams{1 << 10, 8, 1});
    repo = std::make_unique<Repository>(store, key, RepositoryOptions{});
    repo->load_index();
  }
  std::string save(std::int64_t seconds, std::string host, std::vector<std::string> paths,
                   std::vector<std::string> tags = {}) {
    Snapshot s;
    s.time_ns = seconds * 1'000'000'000;
    s.host = std::move(host);
    s.paths = std::move(paths);
    s.tags = std::move(tags);
    return repo->save_snapshot(s);
  }
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

} // namespace

TEST_CASE("given an empty repository, when latest is resolved, then not_found says it has none") {
  Fixture f;
  const Error e = catch_error([&] { resolve_snapshot(*f.repo, "latest", {}); });
  CHECK(e.code() == Code::not_found);
  CHECK(std::string(e.what()) == "no snapshot matches \"latest\": the repository has none");
}

TEST_CASE("given snapshots of two hosts, when latest is resolved with filters, then the newest "
          "matching one is chosen") {
  Fixture f;
  const std::string web1_old = f.save(100, "web1", {"/data"}, {"daily"});
  const std::string web2 = f.save(300, "web2", {"/data"});
  const std::string web1_new = f.save(200, "web1", {"/data", "/etc"}, {"daily", "db"});

  CHECK(resolve_snapshot(*f.repo, "latest", {}).id == web2);
  CHECK(resolve_snapshot(*f.repo, "latest", {{"web1"}, {}, {}}).id == web1_new);
  CHECK(resolve_snapshot(*f.repo, "latest", {{}, {"daily,db"}, {}}).id == web1_new);
  CHECK(resolve_snapshot(*f.repo, "latest", {{"web1"}, {}, {"/data"}}).id == web1_new);
  // --path is compared as backup records it: a trailing '/' or "x/.." changes nothing.
  CHECK(resolve_snapshot(*f.repo, "latest", {{}, {}, {"/etc/"}}).id == web1_new);
  CHECK(resolve_snapshot(*f.repo, "latest", {{}, {}, {"/etc/../etc/."}}).id == web1_new);
  CHECK(find_snapshots(*f.repo, {{}, {"daily"}, {}}).size() == 2);
  CHECK(find_snapshots(*f.repo, {{"web1"}, {}, {"/data/"}}).front().id == web1_old);

  const Error none = catch_error([&] {
    resolve_snapshot(*f.repo, "latest", {{"nosuch"}, {}, {}});
  });
  CHECK(none.code() == Code::not_found);
  CHECK(std::string(none.what()) == "no snapshot matches \"latest\" --host nosuch");
  CHECK(std::string(none.hint()).find("offsite snapshots --host nosuch") != std::string::npos);
}

TEST_CASE("given a snapshot ID or prefix, when resolved with filters, then the ID wins") {
  Fixture f;
  const std::string id = f.save(100, "web1", {"/data"});
  CHECK(resolve_snapshot(*f.repo, id, {{"other"}, {}, {}}).id == id);
  CHECK(resolve_snapshot(*f.repo, id.substr(0, 6), {}).id == id);
  CHECK(catch_error([&] { resolve_snapshot(*f.repo, id.substr(0, 3), {}); }).code() == Code::usage);
  const std::string absent = id.starts_with("0000") ? "ffff" : "0000";
  const Error e = catch_error([&] { resolve_snapshot(*f.repo, absent, {}); });
  CHECK(e.code() == Code::not_found);
  CHECK(std::string(e.what()) == "no snapshot matches \"" + absent + "\"");
}

TEST_CASE("given a relative --path, when described, then it is shown normalised and absolute") {
  test::TempDir dir;
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  SnapshotFilter filter{{"h"}, {"a,b"}, {"data/"}};
  const std::string text = filter.describe();
  std::filesystem::current_path(cwd);
  CHECK(text == " --host h --tag a,b --path " + (dir.path() / "data").string());
}

TEST_CASE("given SNAPSHOT:PATH, when split, then the path must be absolute") {
  CHECK(split_snapshot_path("latest").snapshot == "latest");
  CHECK(split_snapshot_path("latest").path.empty());
  const auto ref = split_snapshot_path("abcd1234:/home/me/docs");
  CHECK(ref.snapshot == "abcd1234");
  CHECK(ref.path == "/home/me/docs");
  const Error e = catch_error([] { split_snapshot_path("latest:home"); });
  CHECK(e.code() == Code::usage);
  CHECK(std::string(e.what()) == "the path after ':' must be absolute, not \"home\"");
  CHECK(catch_error([] { split_snapshot_path("latest:"); }).code() == Code::usage);
}

TEST_SUITE_END();
