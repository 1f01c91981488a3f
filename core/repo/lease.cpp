#include "core/repo/lease.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/common/bytes.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"

namespace offsite::core {

namespace {

using nlohmann::json;

constexpr std::size_t k_lease_id_length = 16;
constexpr std::size_t k_seq_digits = 10;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "3m12s", "1h05m", "40s": ages and remaining times for people.
std::string span_text(std::int64_t ms) {
  const std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string seq_text(std::uint64_t seq) { return fmt::format("{:0{}}", seq, k_seq_digits); }

// A record nobody can read protects nothing, and must not lock the account
// out for good: it reads as a lease that expired long ago, which acquire
// clears away and unlock shows and removes.
Lease parse_record(const std::string& id, ByteView data) {
  try {
    auto lease = lease_from_json(json::parse(as_string(data)));
    if (lease.id == id) return lease;
  } catch (const json::exception&) {
  } catch (const Error&) {
  }
  Lease unreadable;
  unreadable.id = id;
  unreadable.owner.command = "an unreadable lock record";
  return unreadable;
}

} // namespace

bool is_past_grace(const Lease& lease, std::int64_t judged_at_ms) {
  return lease.expires_ms + k_lease_grace.count() < judged_at_ms;
}

std::string_view lease_kind_name(LeaseKind kind) {
  return kind == LeaseKind::exclusive ? "exclusive" : "shared";
}

std::optional<LeaseKind> lease_kind_from_name(std::string_view name) {
  if (name == "shared") return LeaseKind::shared;
  if (name == "exclusive") return LeaseKind::exclusive;
  return std::nullopt;
}

bool leases_conflict(LeaseKind a, LeaseKind b) {
  return a == LeaseKind::exclusive || b == LeaseKind::exclusive;
}

bool is_valid_lease_id(std::string_view id) {
  return id.size() == k_lease_id_length && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

json lease_to_json(const Lease& lease) {
  return {{"id", lease.id},
          {"kind", lease_kind_name(lease.kind)},
          {"host", lease.owner.host},
          {"pid", lease.owner.pid},
          {"user", lease.owner.user},
          {"command", lease.owner.command},
          {"created_ms", lease.created_ms},
          {"expires_ms", lease.expires_ms},
          {"seq", lease.seq}};
}

Lease lease_from_json(const json& doc) {
  try {
    Lease lease;
    lease.id = doc.at("id").get<std::string>();
    const auto kind = lease_kind_from_name(doc.at("kind").get<std::string>());
    if (!kind || !is_valid_lease_id(lease.id)) throw std::invalid_argument("bad kind or id");
    lease.kind = *kind;
    lease.owner.host = doc.at("host").get<std::string>();
    lease.owner.pid = doc.at("pid").get<std::int64_t>();
    lease.owner.user = doc.at("user").get<std::string>();
    lease.owner.command = doc.at("command").get<std::string>();
    lease.created_ms = doc.at("created_ms").get<std::int64_t>();
    lease.expires_ms = doc.at("expires_ms").get<std::int64_t>();
    lease.seq = doc.at("seq").get<std::uint64_t>();
    return lease;
  } catch (const std::exception& e) {
    throw Error(Code::integrity, fmt::format("a lock record is malformed: {}", e.what()),
                "remove it with \"offsite unlock --force\"");
  }
}

std::string describe_lease(const Lease& lease, std::int64_t now_ms) {
  std::string who = lease.owner.user.empty()
                        ? fmt::format("pid {}", lease.owner.pid)
                        : fmt::format("pid {}, user {}", lease.owner.pid, lease.owner.user);
  const std::string state =
      lease.expires_ms < now_ms
          ? fmt::format("expired {} ago", span_text(now_ms - lease.expires_ms))
          : fmt::format("expires in {}", span_text(lease.expires_ms - now_ms));
  return fmt::format("{} lock of {} on host {} ({}), taken {} ago, {}", lease_kind_name(lease.kind),
                     lease.owner.command.empty() ? "a command" : lease.owner.command,
                     lease.owner.host, who, span_text(now_ms - lease.created_ms), state);
}

StoreLeases::StoreLeases(Store& store, std::string prefix, Clock clock)
    : m_store(store), m_prefix(std::move(prefix)), m_clock(std::move(clock)) {
  if (!m_clock) m_clock = system_now_ms;
}

std::int64_t StoreLeases::now_ms() { return m_clock(); }

std::string StoreLeases::key_of(const Lease& lease) const {
  return m_prefix + lease.id + "." + seq_text(lease.seq);
}

void StoreLeases::put_lease(const Lease& lease) {
  const std::string text = lease_to_json(lease).dump();
  if (!m_store.put(key_of(lease), as_bytes(text)))
    throw Error(Code::generic, fmt::format("lock {} is already recorded", lease.id), "try again");
}

std::vector<Lease> StoreLeases::list() {
  // The highest seq of each id is the lease; lower ones are leftovers of a
  // refresh that was interrupted between its put and its delete.
  std::map<std::string, std::string> newest; // id -> key
  for (const auto& object : list_all(m_store, m_prefix)) {
    const std::string_view rest = std::string_view(object.key).substr(m_prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) continue;
    const std::string id(rest.substr(0, dot));
    auto& key = newest[id];
    if (object.key > key) key = object.key;
  }
  std::vector<Lease> leases;
  for (const auto& [id, key] : newest) {
    const auto data = m_store.get(key, 0, std::nullopt);
    if (!data) {
      // Released, or refreshed between the listing and this read: a refresh
      // writes the next record before it deletes this one, so look again.
      if (auto again = find(id)) leases.push_back(std::move(*again));
      continue;
    }
    leases.push_back(parse_record(id, *data));
  }
  std::sort(leases.begin(), leases.end(), [](const Lease& a, const Lease& b) {
    return std::tie(a.created_ms, a.id) < std::tie(b.created_ms, b.id);
  });
  return leases;
}

std::optional<Lease> StoreLeases::find(const std::string& id) {
  if (!is_valid_lease_id(id)) return std::nullopt;
  std::optional<std::string> newest;
  for (const auto& object : list_all(m_store, m_prefix + id + "."))
    newest = object.key;
  if (!newest) return std::nullopt;
  const auto data = m_store.get(*newest, 0, std::nullopt);
  if (!data) return std::nullopt;
  return parse_record(id, *data);
}

Lease StoreLeases::acquire(LeaseKind kind, const LeaseOwner& owner, std::chrono::milliseconds ttl) {
  Lease mine;
  mine.id = to_hex(crypto::random_bytes(k_lease_id_length / 2));
  mine.kind = kind;
  mine.owner = owner;
  mine.created_ms = now_ms();
  mine.expires_ms = mine.created_ms + ttl.count();
  put_lease(mine);

  std::vector<Lease> holders;
  try {
    // Read before the listing: whatever the listing shows was written
    // before this instant (rule b in lease.hpp).
    const std::int64_t listed_at = now_ms();
    for (const auto& other : list()) {
      if (other.id == mine.id) continue;
      if (is_past_grace(other, listed_at)) {
        remove(other.id); // stale: its holder stopped refreshing
        continue;
      }
      if (leases_conflict(kind, other.kind)) holders.push_back(other);
    }
  } catch (...) {
    release(mine.id);
    throw;
  }
  const std::int64_t now = now_ms();
  if (holders.empty()) {
    // A put or a listing that took longer than the lease lives: others may
    // already have judged it expired and gone ahead (rule a).
    if (now < mine.expires_ms) return mine;
    release(mine.id);
    throw Error(Code::locked,
                fmt::format("the lock {} expired while it was being taken: the storage answered "
                            "too slowly",
                            mine.id),
                "try again (or pass --retry-lock 10m)");
  }
  release(mine.id);
  std::string text;
  for (const auto& holder : holders)
    text += (text.empty() ? "" : "; ") + describe_lease(holder, now);
  throw Error(Code::locked, fmt::format("the repository is locked by a {}", text),
              "wait for that command to finish (or pass --retry-lock 10m); if its process is gone, "
              "\"offsite unlock\" removes the lock");
}

Lease StoreLeases::refresh(const std::string& id, std::chrono::milliseconds ttl) {
  auto lease = find(id);
  const std::int64_t now = now_ms();
  if (!lease || lease->expires_ms < now)
    throw Error(Code::locked,
                fmt::format("the lock {} was lost ({})", id,
                            lease ? "it expired before it was refreshed" : "someone removed it"),
                "another command may have started meanwhile; run the command again");
  Lease next = *lease;
  next.seq = lease->seq + 1;
  next.expires_ms = now + ttl.count();
  put_lease(next);
  // Read after the put returned (rule a): the new record was visible by
  // then, so when this is still before the old expiry, nobody can have
  // judged the lease expired from a listing without it. Otherwise someone
  // may have, and the new record must not bring the lease back.
  if (now_ms() >= lease->expires_ms) {
    m_store.remove(key_of(next));
    throw Error(Code::locked,
                fmt::format("the lock {} was lost (it expired while it was being refreshed: the "
                            "storage answered too slowly)",
                            id),
                "another command may have started meanwhile; run the command again");
  }
  m_store.remove(key_of(*lease));
  return next;
}

void StoreLeases::release(const std::string& id) { remove(id); }

bool StoreLeases::remove(const std::string& id) {
  if (!is_valid_lease_id(id)) return false;
  bool removed = false;
  for (const auto& object : list_all(m_store, m_prefix + id + "."))
    removed = m_store.remove(object.key) || removed;
  return removed;
}

} // namespace offsite::core
