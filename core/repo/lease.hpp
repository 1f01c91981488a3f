#pragma once
// Locks as leases (PRODUCT.md §2). A lease is held for a time-to-live and
// refreshed while its command runs, so a crashed client's lock simply runs
// out instead of blocking the account forever.
//
// Shared leases (backup, restore, check) coexist; an exclusive one (forget,
// prune, key passwd, unregister) excludes every other live lease.
//
// LeaseTable is the interface; StoreLeases keeps the leases in a core::Store
// (the server keeps each account's there, outside the repository so a client
// can neither forge nor delete them; a local repository keeps them under
// locks/), RemoteLeases (cli) asks the server.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store/store.hpp"

namespace offsite::core {

enum class LeaseKind { shared, exclusive };

std::string_view lease_kind_name(LeaseKind kind);
std::optional<LeaseKind> lease_kind_from_name(std::string_view name);

// Who holds a lease, for the message another client sees.
struct LeaseOwner {
  std::string host;
  std::int64_t pid = 0;
  std::string user;
  std::string command; // "backup", "prune", ...
};

struct Lease {
  std::string id; // 16 hex digits
  LeaseKind kind = LeaseKind::shared;
  LeaseOwner owner;
  std::int64_t created_ms = 0; // on the clock of whoever keeps the table
  std::int64_t expires_ms = 0;
  std::uint64_t seq = 1; // bumped by every refresh
};

nlohmann::json lease_to_json(const Lease& lease);
// Throws Error(Code::integrity) when a field is missing or malformed.
Lease lease_from_json(const nlohmann::json& doc);

// Two leases conflict when either is exclusive.
bool leases_conflict(LeaseKind a, LeaseKind b);

// A lease is still honoured for this long after its expiry, so that clocks of
// two servers in front of one store need not agree to the millisecond.
// ASSUMED BOUND: the clocks of all front-ends of one store differ by less
// than k_lease_grace (5 s; NTP keeps them within milliseconds). Store latency
// needs no bound: a slow put makes its own lease lost, never another's.
constexpr std::chrono::milliseconds k_lease_grace{5000};

// True when a lease may be treated as expired by someone who read the clock
// at `judged_at_ms` BEFORE the listing the lease came from (rule b below).
bool is_past_grace(const Lease& lease, std::int64_t judged_at_ms);

class LeaseTable {
public:
  virtual ~LeaseTable() = default;

  // Takes a lease, or throws Error(Code::locked) naming the holders of the
  // conflicting live leases (in the message; see locked_message).
  virtual Lease acquire(LeaseKind kind, const LeaseOwner& owner, std::chrono::milliseconds ttl) = 0;
  // Extends a live lease; Error(Code::locked) "lost" when it expired or was
  // removed by someone else (unlock): its command must stop.
  virtual Lease refresh(const std::string& id, std::chrono::milliseconds ttl) = 0;
  // Gives a lease up; releasing one that is gone is not an error.
  virtual void release(const std::string& id) = 0;
  // Every lease, live or expired, sorted by creation.
  virtual std::vector<Lease> list() = 0;
  // Removes a lease whoever holds it (unlock); false when it did not exist.
  virtual bool remove(const std::string& id) = 0;
  // The keeper's clock, against which created_ms/expires_ms are read.
  virtual std::int64_t now_ms() = 0;
};

// "locked by backup on host web1 (pid 4242, user alice), taken 3m12s ago,
// expires in 1m48s" — one line per holder.
std::string describe_lease(const Lease& lease, std::int64_t now_ms);

// Leases kept as objects under `prefix` in a store:
//   <prefix><lease id>.<10-digit seq>   JSON of the lease (flat: a directory
//                                       store keeps no empty directories)
// The store has no update, so a refresh writes the next seq and then deletes
// the previous one; the highest seq is the lease.
//
// Acquire writes the lease first and then lists: when a conflicting live
// lease is there, it deletes its own again and reports locked. Of two
// clients racing for conflicting leases, the one that lists last always sees
// the other (both wrote before listing), so at most one goes ahead; both may
// back off, which --retry-lock then retries.
//
// Several front-ends with their own clocks and a store with latency (issue
// 17) keep this safe by three rules:
//  (a) a refresh writes seq+1 and reads the clock AFTER the put returned; if
//      that is not before the old record's expiry it removes its new record
//      and reports the lease lost. Acquire likewise: a lease whose clock
//      reading after its listing is not before its expiry is given up.
//  (b) whoever judges a lease expired (acquire's sweep, an append-only
//      check) reads the clock BEFORE the listing it judges from, and only
//      after expires + k_lease_grace (is_past_grace).
//  (c) clocks differ by less than k_lease_grace.
// Then a refresh that completed before the expiry on its own clock completed
// before any judge's pre-listing reading passed expiry + grace on the judge's
// clock, so that listing shows the new seq and the lease is not judged
// expired; and a refresh that completed later reports itself lost, so a lease
// deleted as expired cannot come back to life.
class StoreLeases final : public LeaseTable {
public:
  using Clock = std::function<std::int64_t()>; // milliseconds since the epoch
  StoreLeases(Store& store, std::string prefix, Clock clock = {});

  Lease acquire(LeaseKind kind, const LeaseOwner& owner, std::chrono::milliseconds ttl) override;
  Lease refresh(const std::string& id, std::chrono::milliseconds ttl) override;
  void release(const std::string& id) override;
  std::vector<Lease> list() override;
  bool remove(const std::string& id) override;
  std::int64_t now_ms() override;

  // The lease with this id, if it exists (expired or not).
  std::optional<Lease> find(const std::string& id);

private:
  std::string key_of(const Lease& lease) const;
  void put_lease(const Lease& lease);
  Store& m_store;
  std::string m_prefix;
  Clock m_clock;
};

bool is_valid_lease_id(std::string_view id);

} // namespace offsite::core
