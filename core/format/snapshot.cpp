// Snapshot documents (JSON, versioned). The repository seals them; this file
// only maps between the struct and the document:
//
//   {"version": 1, "time": "2024-05-01T10:02:03.123456789Z", "host": "...",
//    "user": "...", "paths": [...], "tags": [...], "excludes": [...],
//    "tree": "<64 hex>", "parent": "<64 hex>" (absent for none),
//    "original": "<64 hex>" (after `tag`; absent for none),
//    "partial": false, "program_version": "0.1.0",
//    "summary": {"files_new": 0, ..., "duration_seconds": 1.5}}
//
// Text that is not valid UTF-8 gets a "<field>_hex" twin (json_text.hpp; for
// a list: the whole list, element by element). Scripts reading `snapshots
// --json` thus always find strings where they expect them.
#include "core/format/snapshot.hpp"

#include <ctime>

#include <fmt/format.h>

#include "core/common/bytes.hpp"
#include "core/common/error.hpp"
#include "core/format/json_text.hpp"

namespace offsite::core {

namespace {

using nlohmann::json;

constexpr int k_snapshot_version = 1;

[[noreturn]] void bad(const std::string& id, std::string_view what) {
  throw Error(Code::integrity,
              fmt::format("snapshot {} is malformed: {}", id.empty() ? "document" : id, what),
              "run offsite check; if only this snapshot is damaged, offsite forget can remove it");
}

void put_text(json& doc, const char* field, const std::string& value) {
  put_json_text(doc, field, value);
}

void put_list(json& doc, const char* field, const std::vector<std::string>& values) {
  bool all_utf8 = true;
  json list = json::array();
  for (const auto& v : values) {
    all_utf8 = all_utf8 && is_utf8(v);
    list.push_back(utf8_display_form(v));
  }
  doc[field] = std::move(list);
  if (!all_utf8) {
    json hex = json::array();
    for (const auto& v : values)
      hex.push_back(to_hex(as_bytes(v)));
    doc[std::string(field) + "_hex"] = std::move(hex);
  }
}

std::string from_hex_text(const json& v, const std::string& id, std::string_view field) {
  if (!v.is_string()) bad(id, fmt::format("\"{}_hex\" is not a string", field));
  auto raw = from_hex(v.get<std::string>());
  if (!raw) bad(id, fmt::format("\"{}_hex\" is not hex", field));
  return std::string(as_string(*raw));
}

std::string get_text(const json& doc, const char* field, const std::string& id, bool required) {
  const std::string hex_field = std::string(field) + "_hex";
  if (doc.contains(hex_field)) return from_hex_text(doc[hex_field], id, field);
  if (!doc.contains(field)) {
    if (required) bad(id, fmt::format("\"{}\" is missing", field));
    return {};
  }
  if (!doc[field].is_string()) bad(id, fmt::format("\"{}\" is not a string", field));
  return doc[field].get<std::string>();
}

std::vector<std::string> get_list(const json& doc, const char* field, const std::string& id,
                                  bool required) {
  std::vector<std::string> out;
  const std::string hex_field = std::string(field) + "_hex";
  if (doc.contains(hex_field)) {
    if (!doc[hex_field].is_array()) bad(id, fmt::format("\"{}\" is not a list", hex_field));
    for (const auto& v : doc[hex_field])
      out.push_back(from_hex_text(v, id, field));
    return out;
  }
  if (!doc.contains(field)) {
    if (required) bad(id, fmt::format("\"{}\" is missing", field));
    return out;
  }
  if (!doc[field].is_array()) bad(id, fmt::format("\"{}\" is not a list", field));
  for (const auto& v : doc[field]) {
    if (!v.is_string()) bad(id, fmt::format("\"{}\" holds a non-string", field));
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string format_time(std::int64_t ns) {
  std::int64_t secs = ns / k_ns_per_second;
  std::int64_t frac = ns % k_ns_per_second;
  if (frac < 0) { // floor division for times before 1970
    frac += k_ns_per_second;
    --secs;
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

// RFC 3339: date "T" time, optional fraction (up to 9 digits), "Z" or an
// offset "+hh:mm" / "-hh:mm".
std::optional<std::int64_t> parse_time(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const auto year = num(0, 4), month = num(5, 2), day = num(8, 2);
  const auto hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60)
    return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (++digits > 9) return std::nullopt;
      frac = frac * 10 + (s[pos] - '0');
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits)
      frac *= 10;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om || pos + 6 > s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59)
      return std::nullopt;
    offset = std::int64_t{*oh * 60 + *om} * 60 * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  std::int64_t whole = static_cast<std::int64_t>(timegm(&tm)) - offset;
  // Nanoseconds since 1970 fit an int64 from 1677 to 2262 only: a time
  // outside is refused, never overflowed (the document is untrusted). Before
  // 1970 the fraction is folded in first, so that no intermediate value
  // passes the limit when the result does not.
  std::int64_t part = frac;
  if (whole < 0 && part > 0) {
    ++whole;
    part -= k_ns_per_second;
  }
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(whole, k_ns_per_second, &ns) || __builtin_add_overflow(ns, part, &ns))
    return std::nullopt;
  return ns;
}

bool is_hex_id(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

struct SummaryField {
  const char* name;
  std::uint64_t SnapshotSummary::*member;
};
constexpr SummaryField k_summary_fields[] = {
    {"files_new", &SnapshotSummary::files_new},
    {"files_changed", &SnapshotSummary::files_changed},
    {"files_unmodified", &SnapshotSummary::files_unmodified},
    {"dirs", &SnapshotSummary::dirs},
    {"other_nodes", &SnapshotSummary::other_nodes},
    {"files_failed", &SnapshotSummary::files_failed},
    {"data_blobs_new", &SnapshotSummary::data_blobs_new},
    {"tree_blobs_new", &SnapshotSummary::tree_blobs_new},
    {"bytes_processed", &SnapshotSummary::bytes_processed},
    {"bytes_read", &SnapshotSummary::bytes_read},
    {"bytes_added", &SnapshotSummary::bytes_added},
};

} // namespace

json snapshot_to_json(const Snapshot& s) {
  json doc = json::object();
  doc["version"] = k_snapshot_version;
  doc["time"] = format_time(s.time_ns);
  put_text(doc, "host", s.host);
  put_text(doc, "user", s.user);
  put_list(doc, "paths", s.paths);
  put_list(doc, "tags", s.tags);
  put_list(doc, "excludes", s.excludes);
  doc["tree"] = blob_id_hex(s.tree);
  if (s.parent) doc["parent"] = *s.parent;
  if (s.original) doc["original"] = *s.original;
  doc["partial"] = s.partial;
  put_text(doc, "program_version", s.program_version);
  json summary = json::object();
  for (const auto& f : k_summary_fields)
    summary[f.name] = s.summary.*f.member;
  summary["duration_seconds"] = s.summary.duration_seconds;
  doc["summary"] = std::move(summary);
  return doc;
}

Snapshot snapshot_from_json(const json& doc, std::string id) {
  if (!doc.is_object()) bad(id, "not a JSON object");
  if (!doc.contains("version") || !doc["version"].is_number_integer())
    bad(id, "\"version\" is missing");
  if (doc["version"].get<std::int64_t>() != k_snapshot_version)
    bad(id, fmt::format("unknown version {}; a newer offsite may read it",
                        doc["version"].get<std::int64_t>()));
  Snapshot s;
  if (!doc.contains("time") || !doc["time"].is_string()) bad(id, "\"time\" is missing");
  const auto time = parse_time(doc["time"].get<std::string>());
  if (!time) bad(id, "\"time\" is not an RFC 3339 time between the years 1678 and 2261");
  s.time_ns = *time;
  s.host = get_text(doc, "host", id, true);
  s.user = get_text(doc, "user", id, false);
  s.paths = get_list(doc, "paths", id, true);
  s.tags = get_list(doc, "tags", id, false);
  s.excludes = get_list(doc, "excludes", id, false);
  if (!doc.contains("tree") || !doc["tree"].is_string()) bad(id, "\"tree\" is missing");
  const auto tree = blob_id_from_hex(doc["tree"].get<std::string>());
  if (!tree) bad(id, "\"tree\" is not a blob ID");
  s.tree = *tree;
  if (doc.contains("parent") && !doc["parent"].is_null()) {
    if (!doc["parent"].is_string() || !is_hex_id(doc["parent"].get<std::string>()))
      bad(id, "\"parent\" is not a snapshot ID");
    s.parent = doc["parent"].get<std::string>();
  }
  if (doc.contains("original") && !doc["original"].is_null()) {
    if (!doc["original"].is_string() || !is_hex_id(doc["original"].get<std::string>()))
      bad(id, "\"original\" is not a snapshot ID");
    s.original = doc["original"].get<std::string>();
  }
  if (doc.contains("partial")) {
    if (!doc["partial"].is_boolean()) bad(id, "\"partial\" is not a boolean");
    s.partial = doc["partial"].get<bool>();
  }
  s.program_version = get_text(doc, "program_version", id, false);
  if (doc.contains("summary")) {
    const json& sum = doc["summary"];
    if (!sum.is_object()) bad(id, "\"summary\" is not an object");
    for (const auto& f : k_summary_fields) {
      if (!sum.contains(f.name)) continue;
      if (!sum[f.name].is_number_unsigned())
        bad(id, fmt::format("summary field \"{}\" is not a count", f.name));
      s.summary.*f.member = sum[f.name].get<std::uint64_t>();
    }
    if (sum.contains("duration_seconds")) {
      if (!sum["duration_seconds"].is_number())
        bad(id, "summary \"duration_seconds\" is not a number");
      s.summary.duration_seconds = sum["duration_seconds"].get<double>();
    }
  }
  s.id = std::move(id);
  return s;
}

} // namespace offsite::core
