// Writes the seed corpus of every fuzz target into DIR/<target>/ from the
// real encoders and the test key: a few small valid inputs each, which the
// fuzzer mutates into invalid ones. Run after a format change:
//   build-fuzz/tests/fuzz/fuzz_make_corpus tests/fuzz/corpus
// The output is deterministic except where sealing draws a fresh nonce.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/crypto/crypto.hpp"
#include "core/format/blob.hpp"
#include "core/format/index.hpp"
#include "core/format/pack.hpp"
#include "core/format/snapshot.hpp"
#include "core/format/tree.hpp"
#include "tests/fuzz/memory_store.hpp"
#include "tests/fuzz/test_key.hpp"
#include "transport/wire/frame.hpp"
#include "transport/wire/messages.hpp"

namespace fs = std::filesystem;
using namespace offsite;

namespace {

fs::path g_root;

void write(const std::string& target, const std::string& name, const Bytes& bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

Bytes text(std::string_view s) { return {s.begin(), s.end()}; }

Bytes prefixed(std::initializer_list<std::uint8_t> head, const Bytes& body) {
  Bytes out(head);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes frame(transport::Op op, nlohmann::json header, Bytes payload = {}) {
  return transport::encode_frame(transport::Frame{op, 7, std::move(header), std::move(payload)});
}

core::BlobId id_of(std::uint8_t fill) {
  core::BlobId id;
  id.fill(fill);
  return id;
}

const std::string k_pack_name(64, 'a');

void frames() {
  write("frame", "hello", prefixed({0}, frame(transport::Op::hello, {{"client", "offsite/0.1"}})));
  Bytes two = frame(transport::Op::put, {{"key", "data/aa/" + k_pack_name}}, text("payload"));
  const Bytes error = frame(transport::Op::reply_error, {{"code", "not_found"}, {"message", "x"}});
  two.insert(two.end(), error.begin(), error.end());
  write("frame", "put_then_error", prefixed({3}, two));
}

template <typename Message> Bytes message(std::uint8_t selector, const Message& m) {
  return prefixed({selector}, frame(transport::Op::reply_ok, m.encode()));
}

void messages() {
  using namespace transport::wire;
  NetworkMap map;
  map.subnets = {"193.239.112.0/24"};
  map.registration = {"193.239.112.10:16384", "193.239.112.11:16384"};
  int i = 0;
  for (const Bytes& m :
       {message(0, HelloRequest{"offsite/0.1", 1}),
        message(1, HelloReply{"offsited/0.1", 1, {"storage"}, map.encode()}),
        message(2, RegisterRequest{"invite"}),
        message(3, RegisterReply{"acct", "secret", {"a:1", "b:2"}, map.encode()}),
        message(4, AuthRequest{"acct", "secret"}), message(5, AuthReply{true, 1000, nullptr}),
        message(7, NetworkMapReply{map.encode()}), message(9, UnregisterReply{3, 4000})})
    write("messages_session", "seed" + std::to_string(i++), m);
  i = 0;
  for (const Bytes& m :
       {message(0, PutRequest{"data/aa/" + k_pack_name}), message(1, PutReply{true}),
        message(2, GetRequest{"config", 5, 10}), message(5, HeadReply{42}),
        message(6, ListRequest{"data/", "", 100}),
        message(7, ListReply{{{"data/01", 3}, {"data/02", 4}}, true}),
        message(10, ListReply{{{"data/01", 3}}, false}), message(9, RemoveReply{true})})
    write("messages_objects", "seed" + std::to_string(i++), m);
  const LeaseRecord lease{
      "0123456789abcdef", LeaseKind::exclusive, "host", 42, "user", "backup", 1000, 2000, 1};
  i = 0;
  for (const Bytes& m :
       {message(0, LeaseAcquireRequest{LeaseKind::shared, "host", "user", "backup", 42, 60000}),
        message(1, LeaseRefreshRequest{"0123456789abcdef", 60000}),
        message(2, LeaseReply{lease, 1500}), message(6, LeaseListReply{{lease, lease}, 1500}),
        message(8, LeaseBreakReply{true})})
    write("messages_leases", "seed" + std::to_string(i++), m);
}

void proxies() {
  // [options][read size][reply]: see the targets.
  write("socks_reply", "v5_ok", {2, 7, 5, 0, 5, 0, 0, 1, 10, 0, 0, 1, 0x40, 0});
  write("socks_reply", "v5_auth_ok", {6, 7, 5, 2, 1, 0, 5, 0, 0, 1, 10, 0, 0, 1, 0x40, 0});
  write("socks_reply", "v5_domain", prefixed({2, 7, 5, 0, 5, 0, 0, 3, 5}, text("proxy\x04\x38")));
  write("socks_reply", "v5_v6_refused", {10, 7, 5, 0, 5, 5, 0, 4});
  write("socks_reply", "v4_granted", {0, 7, 0, 0x5a, 0x40, 0, 10, 0, 0, 1});
  write("socks_reply", "v4a_rejected", {1, 7, 0, 0x5b});
  write("http_connect_reply", "ok",
        prefixed({0, 7}, text("HTTP/1.1 200 Connection established\r\n\r\n")));
  write("http_connect_reply", "continue_ok",
        prefixed({0, 3}, text("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\nVia: x\n\n")));
  write("http_connect_reply", "auth",
        prefixed({1, 7}, text("HTTP/1.1 407 Proxy Authentication Required\r\n"
                              "Proxy-Authenticate: Digest realm=\"x\"\r\n\r\n")));
  write("http_connect_reply", "squid_refused",
        prefixed({2, 7}, text("HTTP/1.1 503 Service Unavailable\r\n"
                              "X-Squid-Error: ERR_CONNECT_FAIL 111\r\n\r\n")));
  write("http_connect_reply", "body_timeout",
        prefixed({0, 7}, text("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 21\r\n\r\n"
                              "Connection timed out.")));
}

void packs(const core::MasterKey& key, fuzz::TestRepository& repository) {
  const core::BlobCodec codec(key);
  core::PackBuilder builder(key.encryption);
  for (std::uint8_t i = 0; i < 3; ++i) {
    const Bytes plain = text("blob " + std::to_string(i));
    const core::BlobId id = codec.id_of(plain);
    builder.add(core::BlobType::data, id, codec.seal(core::BlobType::data, id, plain),
                static_cast<std::uint32_t>(plain.size()));
  }
  const core::FinishedPack pack = builder.finish();
  // sealed mode: [1][u32 blob region = 0][the whole pack as its tail]
  write("pack_header", "sealed", prefixed({1, 0, 0, 0, 0}, pack.bytes));
  // plaintext mode: [0][u32 blob region][header plaintext]
  Bytes header{1};
  put_u32(header, static_cast<std::uint32_t>(pack.entries.size()));
  for (const auto& entry : pack.entries)
    core::put_pack_entry(header, entry);
  Bytes region;
  put_u32(region, static_cast<std::uint32_t>(pack.bytes.size()));
  region.insert(region.begin(), 0);
  region.insert(region.end(), header.begin(), header.end());
  write("pack_header", "plain", region);

  const std::vector<core::IndexedPack> indexed{{pack.name, pack.entries}, {k_pack_name, {}}};
  write("index", "plain", prefixed({0}, core::encode_index(indexed)));
  const std::string name = repository.repo->write_index_file(indexed);
  write("index", "sealed", prefixed({1}, repository.store.objects().at("index/" + name)));
}

void trees(const core::MasterKey& key) {
  core::Tree tree;
  core::Node file;
  file.name = "file\xff";
  file.mode = 0644;
  file.size = 10;
  file.mtime_ns = -5;
  file.content = {id_of(1), id_of(2)};
  file.xattrs = {{"user.a", "b"}};
  core::Node dir;
  dir.name = "dir";
  dir.type = core::NodeType::dir;
  dir.subtree = id_of(3);
  core::Node link;
  link.name = "link";
  link.type = core::NodeType::symlink;
  link.link_target = "../file";
  tree.nodes = {dir, file, link};
  const Bytes encoded = core::encode_tree(tree);
  write("tree", "plain", prefixed({0}, encoded));
  const core::BlobCodec codec(key);
  const core::BlobId id = codec.id_of(encoded);
  Bytes sealed(id.begin(), id.end());
  const Bytes blob = codec.seal(core::BlobType::tree, id, encoded);
  sealed.insert(sealed.end(), blob.begin(), blob.end());
  write("tree", "sealed", prefixed({1}, sealed));
}

void snapshots(fuzz::TestRepository& repository) {
  core::Snapshot s;
  s.time_ns = 1'700'000'000'123'456'789;
  s.host = "host";
  s.user = "user";
  s.paths = {"/home/user", "/etc/\xff"};
  s.tags = {"daily"};
  s.tree = id_of(9);
  s.parent = std::string(64, 'b');
  s.program_version = "0.1.0";
  s.summary.files_new = 3;
  s.summary.duration_seconds = 1.5;
  write("snapshot", "plain", prefixed({0}, text(core::snapshot_to_json(s).dump())));
  const std::string id = repository.repo->save_snapshot(s);
  write("snapshot", "sealed", prefixed({1}, repository.store.objects().at("snapshots/" + id)));
}

void key_files(const core::MasterKey& key) {
  // As offsite writes it (opens as a wrong passphrase under the target's
  // fixed wrapping key), and sealed with that wrapping key (opens).
  write("key_file", "written", text(core::wrap_master_key(key, "fuzz", {2, 1, 1})));
  Bytes plain(key.encryption.begin(), key.encryption.end());
  plain.insert(plain.end(), key.id_mac.begin(), key.id_mac.end());
  plain.insert(plain.end(), key.chunker.begin(), key.chunker.end());
  const Bytes sealed = core::crypto::seal(key.encryption, plain, as_bytes("offsite-key-v1"));
  const nlohmann::json file{
      {"format", "offsite-key"},
      {"version", 1},
      {"kdf",
       {{"name", "scrypt"}, {"n", 16384}, {"r", 8}, {"p", 5}, {"salt", to_hex(Bytes(32, 7))}}},
      {"cipher", "aes-256-gcm"},
      {"data", to_hex(sealed)}};
  write("key_file", "opens", text(file.dump()));
}

void network_maps() {
  write("network_map", "accepted",
        text(R"({"version":4,"subnets":["193.239.112.0/24","10.1.0.0/16"],"port":16384,)"
             R"("registration":["193.239.112.20","193.239.112.21:16385"],"storage":[]})"));
  write("network_map", "with_pair",
        text(R"([{"version":3,"port":1000},["193.239.113.5:16384","[::1]"]])"));
  write("network_map", "older", text(R"({"version":1,"subnets":["10.0.0.0/8"]})"));
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_corpus DIR\n";
    return 2;
  }
  g_root = argv[1];
  const core::MasterKey key = fuzz::test_key();
  fuzz::TestRepository repository;
  frames();
  messages();
  proxies();
  packs(key, repository);
  trees(key);
  snapshots(repository);
  key_files(key);
  network_maps();
  return 0;
}
