// Check, in the order that lets each step trust the one before:
//   1. every snapshot document authenticates and decodes;
//   2. every tree they reach loads and decodes, every blob they name is in
//      the index (this reads each tree blob once: trees are small, and a
//      damaged tree hides everything below it);
//   3. every index file authenticates and decodes, every pack one names
//      exists with the size its entries imply (one listing of data/, no
//      per-pack requests), and packs no index names are listed: their data
//      is invisible to every command until "offsite repair index" (or the
//      next backup) indexes them again;
//   4. with read_data, the selected packs are downloaded whole: the SHA-256
//      must match the name, the header must authenticate and agree with the
//      index, and every blob must authenticate (which also re-checks its ID).
// Problems are collected with the blobs they make unusable; at the end one
// more walk maps those blobs to the snapshots and paths that use them.
#include "core/maintenance/check.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/repo/repo_scan.hpp"
#include "util/printable.hpp"

namespace offsite::core {

std::string_view check_phase_name(CheckPhase phase) {
  switch (phase) {
  case CheckPhase::snapshots: return "snapshots";
  case CheckPhase::trees: return "trees";
  case CheckPhase::packs: return "packs";
  case CheckPhase::read_data: return "read-data";
  }
  return "unknown";
}

ReadDataSubset parse_read_data_subset(std::string_view text) {
  const auto bad = [&] {
    return Error(Code::usage,
                 fmt::format("--read-data-subset {} is not a share of the packs", text),
                 "give a percentage (10%) or a group n/m (1/5 reads the first fifth)");
  };
  ReadDataSubset subset;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const auto number = [&](std::string_view s) {
      unsigned v = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) throw bad();
      return v;
    };
    subset.group = number(text.substr(0, slash));
    subset.groups = number(text.substr(slash + 1));
    if (subset.group < 1 || subset.group > subset.groups) throw bad();
    return subset;
  }
  if (text.size() < 2 || text.back() != '%') throw bad();
  const std::string number(text.substr(0, text.size() - 1));
  std::size_t used = 0;
  try {
    subset.percent = std::stod(number, &used);
  } catch (const std::exception&) {
    throw bad();
  }
  if (used != number.size() || !(subset.percent > 0) || subset.percent > 100) throw bad();
  return subset;
}

std::vector<std::string> select_packs(const std::vector<std::string>& packs,
                                      const ReadDataSubset& subset) {
  std::vector<std::string> out;
  if (subset.groups > 0) {
    for (const auto& name : packs) {
      // Pack names are SHA-256 digests: their leading digits are uniform.
      // The group is the number they spell (8 hex digits) mod m, so a script
      // can tell which group holds a pack: $((0x${name:0:8} % m + 1)).
      std::uint32_t n = 0;
      std::from_chars(name.data(), name.data() + std::min<std::size_t>(name.size(), 8), n, 16);
      if (n % subset.groups == subset.group - 1) out.push_back(name);
    }
    return out;
  }
  if (subset.percent >= 100) return packs;
  auto want = static_cast<std::size_t>(
      std::llround(static_cast<double>(packs.size()) * subset.percent / 100.0));
  if (want == 0 && subset.percent > 0 && !packs.empty()) want = 1;
  std::uint64_t seed = 0;
  crypto::random_fill({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed});
  std::mt19937_64 rng(seed);
  out = packs;
  std::shuffle(out.begin(), out.end(), rng);
  out.resize(std::min(want, out.size()));
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

struct Found {
  CheckProblem problem;
  std::vector<BlobId> blobs; // whose users are affected
};

class Checker {
public:
  Checker(Repository& repo, const CheckOptions& options, CheckReporter& reporter)
      : m_repo(repo), m_options(options), m_reporter(reporter) {}

  CheckResult run() {
    load_snapshots();
    walk_trees();
    check_packs();
    if (m_options.read_data) read_data();
    attribute();
    return std::move(m_result);
  }

private:
  void stop_if_cancelled() {
    if (m_reporter.cancelled())
      throw Error(Code::interrupted, "check interrupted; it changed nothing",
                  "run offsite check again");
  }

  void add(std::string kind, std::string message, std::string pack, std::vector<BlobId> blobs) {
    m_found.push_back(
        {{std::move(kind), std::move(message), std::move(pack), {}, 0}, std::move(blobs)});
  }

  void load_snapshots() {
    const auto objects = list_all(m_repo.store(), "snapshots/");
    // A backup beside this check (both hold shared locks) writes its index
    // files before its snapshot: those the listed snapshots need are there.
    m_repo.load_index();
    CheckProgress progress{CheckPhase::snapshots, 0, objects.size(), 0, 0};
    for (const auto& o : objects) {
      stop_if_cancelled();
      const std::string id = o.key.substr(10);
      try {
        m_snapshots.push_back(m_repo.load_snapshot(id));
      } catch (const Error& e) {
        if (e.code() == Code::integrity)
          add("snapshot_damaged", e.what(), "", {});
        else if (e.code() != Code::not_found) // not_found: removed meanwhile, or a stray name
          throw;
      }
      ++progress.done;
      m_reporter.progress(progress);
    }
    std::sort(m_snapshots.begin(), m_snapshots.end(), [](const Snapshot& a, const Snapshot& b) {
      return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.id < b.id;
    });
    m_result.snapshots = m_snapshots.size();
  }

  void walk_trees() {
    m_used = find_reachable(m_repo, m_snapshots, [&](std::uint64_t trees) {
      m_reporter.progress({CheckPhase::trees, trees, 0, 0, 0});
      stop_if_cancelled();
    });
    m_result.trees = m_used.trees.size();
    m_result.data_blobs = m_used.data.size();
  }

  // After check_packs: a tree lost with a missing pack is that pack's
  // problem, reported once there.
  void report_tree_problems(const std::set<std::string>& missing_packs) {
    for (const auto& p : m_used.problems) {
      const auto loc = m_repo.index().find(p.id);
      if (!loc)
        add("blob_missing", p.message, "", {p.id});
      else if (!missing_packs.contains(loc->pack))
        add("tree_damaged", p.message, "", {p.id});
    }
  }

  std::vector<BlobId> referenced(const IndexedPack& pack) const {
    std::vector<BlobId> out;
    for (const auto& e : pack.entries)
      if (m_used.contains(e.id)) out.push_back(e.id);
    return out;
  }

  // Referenced blobs of a lost pack that no intact-looking pack holds too
  // (a backup that healed the loss stored copies; readers fall back to them).
  std::vector<BlobId> lost(const IndexedPack& pack, const BlobIdSet& elsewhere) const {
    std::vector<BlobId> out;
    for (const auto& id : referenced(pack))
      if (!elsewhere.contains(id)) out.push_back(id);
    return out;
  }

  void check_packs() {
    std::vector<IndexFileProblem> damaged;
    m_index_files = m_repo.read_index_files(&damaged);
    // The packs a damaged file named now look unindexed: repair index
    // reads their headers and names them again.
    for (const auto& d : damaged)
      add("index_damaged", fmt::format("{}: {}", util::printable(d.key), d.reason), "", {});
    m_result.index_files = m_index_files.size();
    m_indexed = packs_by_name(m_index_files);
    m_stored = list_packs(m_repo.store(), &m_result.stray_objects);
    m_result.packs = m_indexed.size();
    CheckProgress progress{CheckPhase::packs, 0, m_indexed.size(), 0, 0};
    const auto intact = [&](const std::string& name, const IndexedPack& pack) {
      const auto it = m_stored.find(name);
      return it != m_stored.end() && it->second == expected_pack_size(pack.entries);
    };
    BlobIdSet elsewhere; // in some pack that is there with the right size
    for (const auto& f : m_index_files)
      for (const auto& pack : f.packs)
        if (intact(pack.name, pack))
          for (const auto& e : pack.entries)
            elsewhere.insert(e.id);
    const auto copies_note = [&](const IndexedPack& pack) {
      const bool all_copied = lost(pack, elsewhere).empty() && !referenced(pack).empty();
      return all_copied ? "; every blob snapshots use from it has a copy in another pack" : "";
    };
    std::set<std::string> missing;
    for (const auto& [name, pack] : m_indexed) {
      const auto it = m_stored.find(name);
      if (it == m_stored.end()) {
        missing.insert(name);
        add("pack_missing",
            fmt::format("pack {} is missing (an index file lists {} blobs in it){}", name,
                        pack->entries.size(), copies_note(*pack)),
            name, lost(*pack, elsewhere));
      } else if (const std::uint64_t want = expected_pack_size(pack->entries); it->second != want) {
        add("pack_size",
            fmt::format("pack {} has {} bytes where its index entries imply {}{}", name, it->second,
                        want, copies_note(*pack)),
            name, lost(*pack, elsewhere));
      }
      ++progress.done;
    }
    m_reporter.progress(progress);
    report_tree_problems(missing);
    for (const auto& [name, size] : m_stored)
      if (!m_indexed.contains(name)) m_result.unindexed_packs.push_back(name);
  }

  void read_data() {
    std::vector<std::string> candidates;
    for (const auto& [name, pack] : m_indexed)
      if (m_stored.contains(name)) candidates.push_back(name);
    const auto selected = select_packs(candidates, m_options.subset);
    CheckProgress progress{CheckPhase::read_data, 0, selected.size(), 0, 0};
    for (const auto& name : selected)
      progress.bytes_total += m_stored.at(name);
    m_reporter.progress(progress);
    for (const auto& name : selected) {
      stop_if_cancelled();
      read_pack(name, *m_indexed.at(name));
      ++progress.done;
      progress.bytes_done += m_stored.at(name);
      m_reporter.progress(progress);
    }
  }

  void read_pack(const std::string& name, const IndexedPack& pack) {
    const auto data = m_repo.store().get(Repository::pack_key(name), 0, std::nullopt);
    if (!data) {
      add("pack_missing", fmt::format("pack {} vanished while check was reading", name), name,
          referenced(pack));
      return;
    }
    ++m_result.packs_read;
    m_result.bytes_read += data->size();
    std::vector<std::string> faults;
    if (to_hex(crypto::sha256(*data)) != name)
      faults.push_back("its SHA-256 does not match its name");
    const auto header = read_pack_header(m_repo.key().encryption, *data, data->size());
    if (!header) {
      faults.push_back("its header failed authentication");
    } else {
      const auto key = [](const PackEntry& e) { return std::tie(e.offset, e.id, e.length); };
      auto a = *header;
      auto b = pack.entries;
      const auto by_offset = [&](const PackEntry& x, const PackEntry& y) {
        return key(x) < key(y);
      };
      std::sort(a.begin(), a.end(), by_offset);
      std::sort(b.begin(), b.end(), by_offset);
      const bool same = std::equal(
          a.begin(), a.end(), b.begin(), b.end(), [&](const PackEntry& x, const PackEntry& y) {
            return key(x) == key(y) && x.type == y.type && x.raw_length == y.raw_length;
          });
      if (!same) faults.push_back("its header does not match the index");
    }
    std::vector<BlobId> damaged;
    for (const auto& e : pack.entries) {
      ++m_result.blobs_read;
      const bool inside = std::uint64_t{e.offset} + e.length <= data->size();
      if (!inside ||
          !m_repo.codec().open(e.type, e.id, ByteView(*data).subspan(e.offset, e.length)))
        damaged.push_back(e.id);
    }
    if (!damaged.empty())
      faults.push_back(fmt::format("{} of its {} blobs failed authentication", damaged.size(),
                                   pack.entries.size()));
    else if (!faults.empty())
      faults.push_back("every blob in it is intact");
    if (faults.empty()) return;
    std::string message = fmt::format("pack {} is damaged: ", name);
    for (std::size_t i = 0; i < faults.size(); ++i)
      message += (i ? "; " : "") + faults[i];
    add("pack_damaged", std::move(message), name, std::move(damaged));
  }

  // One walk for all problems: which snapshots and paths lose data.
  void attribute() {
    BlobIdSet all;
    for (const auto& f : m_found)
      all.insert(f.blobs.begin(), f.blobs.end());
    std::vector<BlobUser> users;
    if (!all.empty())
      users = find_users(m_repo, m_snapshots, all, m_options.max_affected * m_found.size());
    for (auto& f : m_found) {
      const BlobIdSet mine(f.blobs.begin(), f.blobs.end());
      for (const auto& u : users) {
        if (std::none_of(u.blobs.begin(), u.blobs.end(),
                         [&](const BlobId& id) { return mine.contains(id); }))
          continue;
        if (f.problem.affected.size() < m_options.max_affected)
          f.problem.affected.push_back(u);
        else
          ++f.problem.affected_more;
      }
      m_result.problems.push_back(std::move(f.problem));
    }
  }

  Repository& m_repo;
  const CheckOptions& m_options;
  CheckReporter& m_reporter;
  CheckResult m_result;
  std::vector<Found> m_found;
  std::vector<Snapshot> m_snapshots;
  Reachable m_used;
  std::vector<IndexFile> m_index_files;
  std::map<std::string, const IndexedPack*> m_indexed;
  std::map<std::string, std::uint64_t> m_stored;
};

} // namespace

CheckResult check_repository(Repository& repo, const CheckOptions& options,
                             CheckReporter& reporter) {
  return Checker(repo, options, reporter).run();
}

} // namespace offsite::core
