#pragma once
// The request handler of offsited: protocol logic over core::Store, with no
// sockets, so that tests drive it with a LocalStore. The wire protocol is
// documented in offsite-protocol(7); every request is read and every reply
// built through its struct in transport/wire/messages.hpp, and a request
// that breaks a field rule is answered bad_request (the connection stays).
//
// One Session per connection holds that connection's state (the account it
// authenticated as, if any). Everything shared by all connections of the
// process — the store, the accounts, the throttle, the cached usage —
// lives in one ServerContext. Several processes (front-ends) may serve one
// store at once: whatever must hold across them is kept in the store.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/repo/lease.hpp"
#include "core/store/store.hpp"
#include "server/handler/usage_ledger.hpp"
#include "server/serve/throttle.hpp"
#include "server/state/account_registry.hpp"
#include "server/state/dc_settings.hpp"
#include "transport/wire/frame.hpp"

namespace offsite::server {

// Which of the data-centre settings an operator gave explicitly (serve's
// flags). Those replace what the store holds; the others come from the
// store, and only a store that holds no settings yet takes them from
// ServerOptions (serve derives them from --listen).
struct GivenSettings {
  bool registration = true;
  bool storage_pair = true;
  bool registration_pair = true;
  bool subnets = true;
  bool default_quota = true;
  bool default_quota_objects = true;
  static GivenSettings none() { return {false, false, false, false, false, false}; }
};

struct ServerOptions : DataCentreSettings {
  // What of the settings above was given explicitly; all of it unless told
  // (a context built in code imposes its options).
  GivenSettings given;
  // How long a front-end announces settings before it reads them from the
  // store again: another front-end's change reaches it within this bound.
  std::chrono::milliseconds settings_max_age{10'000};
  // Accounts registered in open mode from one source (an IPv4 address or
  // an IPv6 /64) within an hour, per front-end; 0: no limit.
  std::size_t registrations_per_hour = 20;
  // The server's log, one line per call (any thread); empty: not logged.
  std::function<void(const std::string&)> log;
};

class ServerContext {
public:
  // `store` is the root of the data directory's store (accounts/, invites/,
  // settings/). Reconciles the settings with the store's: writes the given
  // ones (logging what changed), or all of `options` into a store that
  // holds none. Throws Error when the store's settings are damaged.
  ServerContext(core::Store& store, ServerOptions options);

  core::Store& store() { return m_store; }
  AccountRegistry& registry() { return m_registry; }
  // Failed authentications per source: 5 a minute.
  Throttle& throttle() { return m_throttle; }
  // Open registrations per source (ServerOptions::registrations_per_hour).
  Throttle& registrations() { return m_registrations; }
  const ServerOptions& options() const { return m_options; }
  // The data centre's settings as the store holds them, read again when
  // older than options().settings_max_age (a failed read keeps the last).
  DataCentreSettings settings();
  nlohmann::json network_map();

  // Per-account usage against the quotas, recounted from the store when it
  // matters (usage_ledger.hpp states the bound with several front-ends).
  UsageLedger& quotas() { return m_quotas; }
  Usage usage(const std::string& account) { return m_quotas.usage(account); }

private:
  void log(const std::string& line) const;
  core::Store& m_store;
  AccountRegistry m_registry;
  Throttle m_throttle{5, std::chrono::seconds(60)};
  ServerOptions m_options;
  Throttle m_registrations{m_options.registrations_per_hour, std::chrono::hours(1)};
  UsageLedger m_quotas;
  SettingsStore m_settings_store;
  std::mutex m_settings_mutex;
  DataCentreSettings m_settings;
  std::chrono::steady_clock::time_point m_settings_read_at;
};

// Thread-safety: handle() may run on several threads at once for object
// requests (get, head, list, put, remove): they only read the session's
// login state (m_account, m_auth, m_repo, m_leases), and the one member
// they change, m_held (an expired lease dropped by holds_live_lease), is
// guarded by m_held_mutex. Every other request (hello, register, auth,
// network_map, the lease ops, unregister) writes the login state or
// m_held without a lock, so it must run alone, with no other request of
// the session in progress; server/serve/request_order.hpp keeps it so.
// ServerContext is shared by all sessions and thread-safe.
class Session {
public:
  // `peer_ip` keys the per-source throttle.
  Session(ServerContext& context, std::string peer_ip);

  // One request in, its reply out (reply_ok or reply_error with the request's
  // id). Store I/O failures become an "internal" error reply that names no
  // server path; the full error goes to the log with the account and key.
  transport::Frame handle(const transport::Frame& request);

  const std::optional<std::string>& account() const { return m_account; }

private:
  struct Authenticated {
    std::string id;
    bool append_only = false;
    std::uint64_t quota = 0;
    std::uint64_t quota_objects = 0;
  };
  transport::Frame dispatch(const transport::Frame& request);
  // The reply to a request the store could not complete: `error` is logged
  // with the account, operation and key; the reply names no server path.
  transport::Frame storage_failure(const transport::Frame& request, const std::exception& error);
  transport::Frame hello(const transport::Frame& request);
  transport::Frame register_account(const transport::Frame& request);
  transport::Frame auth(const transport::Frame& request);
  transport::Frame put(const transport::Frame& request);
  transport::Frame get(const transport::Frame& request);
  transport::Frame head(const transport::Frame& request);
  transport::Frame list(const transport::Frame& request);
  transport::Frame remove(const transport::Frame& request);
  transport::Frame lease_acquire(const transport::Frame& request);
  transport::Frame lease_refresh(const transport::Frame& request);
  transport::Frame lease_release(const transport::Frame& request);
  transport::Frame lease_list(const transport::Frame& request);
  transport::Frame lease_break(const transport::Frame& request);
  transport::Frame unregister(const transport::Frame& request);
  // Deleting needs a live exclusive lease held by this session (adopted by
  // acquire or refresh), unless the account holds no repository yet.
  std::optional<transport::Frame> refuse_delete(const transport::Frame& request);
  // Writing an index file or a snapshot needs a live lease of any kind: a
  // client whose lease ran out (a laptop that slept through a prune) must
  // not record packs or blobs the prune may have deleted meanwhile.
  std::optional<transport::Frame> refuse_commit(const transport::Frame& request);
  // An append-only account may release or break only the leases this
  // session holds, or expired ones: another machine's live lock is not its
  // to remove (a stolen secret must not stop another machine's backup).
  std::optional<transport::Frame> refuse_foreign_lease(const transport::Frame& request,
                                                       const std::string& id);
  // True when this session holds a live lease (an exclusive one if asked).
  bool holds_live_lease(bool exclusive);
  // The reply for a lease this session now holds (acquired or refreshed).
  transport::Frame held(const transport::Frame& request, const core::Lease& lease);
  core::Store& repo() { return *m_repo; }
  core::StoreLeases& leases() { return *m_leases; }

  ServerContext& m_context;
  std::string m_peer_ip;
  std::optional<std::string> m_account;
  Authenticated m_auth;
  std::unique_ptr<core::PrefixStore> m_repo;
  std::unique_ptr<core::StoreLeases> m_leases;
  // The leases this session holds, and when the store last confirmed each
  // (a prune deletes thousands of objects: not a lookup each).
  struct HeldLease {
    core::LeaseKind kind;
    std::chrono::steady_clock::time_point checked;
  };
  std::map<std::string, HeldLease> m_held;
  std::mutex m_held_mutex; // see the class comment
};

// The last path component must equal the SHA-256 (hex) of the payload for
// these content-addressed keys: data/<2>/<64 hex>, index/<64>, snapshots/<64>.
bool is_content_addressed(std::string_view key);

} // namespace offsite::server
