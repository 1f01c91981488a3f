#include <doctest/doctest.h>

#include <limits>

#include "core/common/error.hpp"
#include "core/format/snapshot.hpp"

using namespace offsite;
using namespace offsite::core;
using nlohmann::json;

namespace {

Snapshot sample() {
  Snapshot s;
  s.time_ns = 1714557723123456789; // 2024-05-01T10:02:03.123456789Z
  s.host = "box";
  s.user = "alice";
  s.paths = {"/home/alice", "/etc"};
  s.tags = {"daily", "db"};
  s.excludes = {"*.tmp"};
  for (std::size_t i = 0; i < s.tree.size(); ++i)
    s.tree[i] = static_cast<std::uint8_t>(i);
  s.parent = std::string(64, 'c');
  s.original = std::string(64, 'd');
  s.partial = true;
  s.program_version = "0.1.0";
  s.summary.files_new = 3;
  s.summary.bytes_added = 1ull << 40;
  s.summary.duration_seconds = 1.5;
  return s;
}

void expect_integrity(const json& doc) {
  try {
    snapshot_from_json(doc, "abcd");
    FAIL("accepted a malformed snapshot");
  } catch (const Error& e) {
    CHECK(e.code() == Code::integrity);
    CHECK(std::string(e.what()).find("abcd") != std::string::npos);
  }
}

} // namespace

TEST_SUITE_BEGIN("core::Snapshot");

TEST_CASE("given a snapshot, when written to JSON, then the document has the documented fields") {
  const json doc = snapshot_to_json(sample());
  CHECK(doc["version"] == 1);
  CHECK(doc["time"] == "2024-05-01T10:02:03.123456789Z");
  CHECK(doc["host"] == "box");
  CHECK(doc["paths"] == json::array({"/home/alice", "/etc"}));
  CHECK(doc["tree"] == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  CHECK(doc["parent"] == std::string(64, 'c'));
  CHECK(doc["original"] == std::string(64, 'd'));
  CHECK(snapshot_from_json(doc, "abcd").original == std::string(64, 'd'));
  CHECK(doc["partial"] == true);
  CHECK(doc["summary"]["files_new"] == 3);
  CHECK(doc["summary"]["duration_seconds"] == 1.5);
  CHECK_FALSE(doc.contains("id"));
  CHECK_FALSE(doc.contains("paths_hex"));
  CHECK_FALSE(snapshot_to_json(Snapshot{}).contains("parent"));
  CHECK_FALSE(snapshot_to_json(Snapshot{}).contains("original"));
}

TEST_CASE("given a snapshot, when it round-trips through JSON text, then every field is equal") {
  const Snapshot s = sample();
  const Snapshot back = snapshot_from_json(json::parse(snapshot_to_json(s).dump()), "id1");
  CHECK(back.id == "id1");
  CHECK(back.time_ns == s.time_ns);
  CHECK(back.host == s.host);
  CHECK(back.user == s.user);
  CHECK(back.paths == s.paths);
  CHECK(back.tags == s.tags);
  CHECK(back.excludes == s.excludes);
  CHECK(back.tree == s.tree);
  CHECK(back.parent == s.parent);
  CHECK(back.partial == s.partial);
  CHECK(back.program_version == s.program_version);
  CHECK(back.summary.files_new == 3);
  CHECK(back.summary.bytes_added == 1ull << 40);
  CHECK(back.summary.duration_seconds == 1.5);
}

TEST_CASE("given paths that are not UTF-8, when round-tripped, then the exact bytes come back and "
          "the display form is valid") {
  Snapshot s = sample();
  s.paths = {"/ok", std::string("/bad\xff\xfe name", 11), "/caf\xc3\xa9"};
  s.host = std::string("h\x80", 2);
  const json doc = snapshot_to_json(s);
  const std::string text = doc.dump(); // would throw on invalid UTF-8
  CHECK(doc["paths"][1] == "/bad\xef\xbf\xbd\xef\xbf\xbd name");
  CHECK(doc["paths"][2] == "/caf\xc3\xa9");
  REQUIRE(doc.contains("paths_hex"));
  CHECK(doc.contains("host_hex"));
  const Snapshot back = snapshot_from_json(json::parse(text), "x");
  CHECK(back.paths == s.paths);
  CHECK(back.host == s.host);
  // Overlong encodings and surrogates are not UTF-8 either.
  s.paths = {"\xc0\xaf", "\xed\xa0\x80"};
  CHECK(snapshot_from_json(json::parse(snapshot_to_json(s).dump()), "x").paths == s.paths);
}

TEST_CASE("given times in RFC 3339 forms, when parsed, then they map to the same instant") {
  json doc = snapshot_to_json(sample());
  doc["time"] = "2024-05-01T12:02:03.123456789+02:00";
  CHECK(snapshot_from_json(doc, "x").time_ns == sample().time_ns);
  doc["time"] = "2024-05-01T10:02:03Z";
  CHECK(snapshot_from_json(doc, "x").time_ns == 1714557723000000000);
  doc["time"] = "2024-05-01T10:02:03.5Z";
  CHECK(snapshot_from_json(doc, "x").time_ns == 1714557723500000000);
  Snapshot old = sample();
  old.time_ns = -1; // just before 1970
  CHECK(snapshot_to_json(old)["time"] == "1969-12-31T23:59:59.999999999Z");
  CHECK(snapshot_from_json(snapshot_to_json(old), "x").time_ns == -1);
}

TEST_CASE("given times at and beyond the range of nanoseconds in 64 bits, when read, then the "
          "extremes round-trip and the rest is refused without overflow") {
  // Found by tests/fuzz/fuzz_snapshot (crashers/snapshot/): the year 1011
  // made secs * 10^9 overflow, undefined behaviour.
  for (const std::int64_t ns : {std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::max(), std::int64_t{-1}}) {
    Snapshot s = sample();
    s.time_ns = ns;
    CAPTURE(ns);
    CHECK(snapshot_from_json(snapshot_to_json(s), "x").time_ns == ns);
  }
  json doc = snapshot_to_json(sample());
  for (const char* time :
       {"1011-11-14T22:13:20.433247043Z", "1677-09-21T00:12:43.145224191Z",
        "2262-04-11T23:47:16.854775808Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00+23:59"}) {
    CAPTURE(time);
    doc["time"] = time;
    expect_integrity(doc);
  }
}

TEST_CASE("given malformed documents, when read, then each is refused with an integrity error") {
  const json good = snapshot_to_json(sample());
  expect_integrity(json::array());
  for (const char* field : {"version", "time", "host", "paths", "tree"}) {
    json d = good;
    d.erase(field);
    CAPTURE(field);
    expect_integrity(d);
  }
  auto with = [&](const char* field, json value) {
    json d = good;
    d[field] = std::move(value);
    return d;
  };
  expect_integrity(with("version", 2));
  expect_integrity(with("time", "yesterday"));
  expect_integrity(with("time", "2024-13-01T00:00:00Z"));
  expect_integrity(with("time", "2024-05-01T10:02:03"));
  expect_integrity(with("time", "2024-05-01T10:02:03.1234567891Z"));
  expect_integrity(with("host", 5));
  expect_integrity(with("paths", "/home"));
  expect_integrity(with("paths", json::array({1})));
  expect_integrity(with("paths_hex", json::array({"zz"})));
  expect_integrity(with("tree", "abc"));
  expect_integrity(with("parent", "abc"));
  expect_integrity(with("partial", "yes"));
  expect_integrity(with("summary", json::array()));
  json d = good;
  d["summary"]["files_new"] = -1;
  expect_integrity(d);
  // Optional fields may be absent.
  json minimal = good;
  for (const char* f :
       {"user", "tags", "excludes", "parent", "partial", "program_version", "summary"})
    minimal.erase(f);
  const Snapshot s = snapshot_from_json(minimal, "x");
  CHECK(s.tags.empty());
  CHECK_FALSE(s.parent);
  CHECK_FALSE(s.partial);
}

TEST_SUITE_END();
