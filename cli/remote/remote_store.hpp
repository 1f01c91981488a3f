#pragma once
// core::Store over the network: an account's objects on its storage pair.
//
// Requests from all threads share one pipelined connection (FramePipeline).
// Failover: when the connection fails — the server dies, resets, stops
// answering — every request that was waiting is sent again on a new
// connection, to the same server first (an idle close is not an outage),
// then to the other one of the pair. Sending again is safe because the
// store's operations are idempotent or checkable: a put that finds its key
// already there after a resend compares what is stored (by size for
// content-addressed keys, whose name the server checks against the SHA-256,
// by bytes otherwise), and a remove that finds nothing after a resend
// counts as done. So nothing is lost or stored twice.
//
// A server that stops answering is declared dead after the pipeline's idle
// timeout (30 s: no reply started, or no byte moved); after a timeout the
// other server of the pair is tried first, since the same one is likely
// still stuck. A server that answers a request with a storage failure
// (error "internal", or "no_space" for a put) is treated the same way for
// that request: it is sent to the other server, and only when every server
// fails it is the error the caller sees.
//
// Leases travel on a lane of their own: a second connection that carries
// only lease refreshes, with a shorter idle timeout (15 s), so a refresh is
// never queued behind a large upload or stuck on a dead data connection,
// and fails over by itself. The data connection adopts each held lease
// after every login, so the server there counts it too.
//
// The first connection of a command fails fast (Error no_server, every
// attempt listed). Once connected, losing both servers is retried with
// back-off for `retry_window` before giving up, so a short network cut
// does not end a long backup.
//
// A listing the server drives (core::list_all asks page after page) is
// bounded: at most k_max_listed_objects objects per listing, then a
// protocol error; each page stops at once on Ctrl-C/SIGTERM.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cli/remote/server_link.hpp"
#include "core/store/store.hpp"

namespace offsite::cli {

// 4 million data packs are 64 TiB at the usual 16 MiB: no repository lists
// more under one prefix.
inline constexpr std::size_t k_max_listed_objects = 4'000'000;

struct RemoteStoreOptions {
  LinkOptions link;
  std::string account_id;
  std::string secret;
  std::chrono::milliseconds retry_window{std::chrono::seconds(60)};
  // Told once per change of server ("continuing on the alternate ...").
  std::function<void(const std::string&)> notice;
  // After each successful login: the hello and auth replies, so the caller
  // can apply a network-map update.
  std::function<void(const transport::wire::HelloReply& hello,
                     const transport::wire::AuthReply& auth)>
      on_login;
  // At most this many objects in one listing (one prefix, pages chained by
  // start_after); more is a broken or hostile server.
  std::size_t max_listed_objects = k_max_listed_objects;
};

class RemoteStore final : public core::Store {
public:
  // Does not connect; the first request does.
  explicit RemoteStore(RemoteStoreOptions options);
  ~RemoteStore() override;

  // Connects now (first use), so that an unreachable data centre or a
  // refused login is reported before any other work starts.
  void connect();

  bool put(std::string_view key, ByteView data) override;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override;
  bool remote() const override { return true; }
  std::optional<std::uint64_t> head(std::string_view key) override;
  core::ListPage list(std::string_view prefix, std::string_view start_after,
                      std::size_t limit) override;
  bool remove(std::string_view key) override;

  // The server in use ("127.239.112.10:16384"), or "" before the first use.
  std::string current_server() const;

  // Whether the account is append-only (its auth reply says so): the data
  // centre then refuses every delete, so commands that delete must stop
  // before they write anything. As of the latest login; false before the
  // first one and when a server does not say.
  bool append_only() const;
  const std::string& account_id() const { return m_options.account_id; }

  // Any other request (leases, unregister: a struct of
  // transport/wire/messages.hpp), with the same failover; the reply as it
  // came, error replies included.
  template <class Request> transport::Frame request(const Request& message) {
    bool resent = false;
    return call(m_data, Request::op, message.encode(), {}, resent);
  }
  // The same on the lease lane (lease refreshes).
  template <class Request> transport::Frame lease_request(const Request& message) {
    bool resent = false;
    return call(m_lease, Request::op, message.encode(), {}, resent);
  }

  // Leases this client holds: after a failover they are refreshed on the new
  // connection first, so that the server there counts them for deletes.
  void hold_lease(const std::string& id);
  void drop_lease(const std::string& id);

private:
  // One connection and the server it goes to. The data lane carries every
  // object request; the lease lane only lease refreshes.
  struct Lane {
    bool is_data = true; // says the failover notice and applies network maps
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
    mutable std::mutex mutex; // guards everything below
    std::shared_ptr<transport::FramePipeline> pipeline;
    std::size_t server = 0;       // index of the server in use
    std::string last_failure;     // why the last connection ended, for the notice
    bool try_other_first = false; // the last one stalled or failed its storage
  };

  // Sends one request on `lane`, failing over as described above. `resent`
  // becomes true when the request may have reached a server before this
  // reply. `max_reply` bounds the reply frame (0: header only).
  transport::Frame call(Lane& lane, transport::Op op, const nlohmann::json& header,
                        transport::ByteSpan payload, bool& resent, std::size_t max_reply = 0);
  std::shared_ptr<transport::FramePipeline> session(Lane& lane,
                                                    std::chrono::steady_clock::time_point give_up);
  // Opens a link and logs in; nullopt (attempts filled) when no server answers.
  std::shared_ptr<transport::FramePipeline> login(Lane& lane, std::vector<Attempt>& attempts);
  // Forgets the lane's connection if it is still `pipeline`.
  void drop(Lane& lane, const std::shared_ptr<transport::FramePipeline>& pipeline, std::string why,
            bool try_other_first);
  static void stop_reading_if_interrupted();
  std::optional<Bytes> get_in_pieces(std::string_view key, std::uint64_t offset,
                                     std::optional<std::uint64_t> length);
  // Counts a listing's objects against options.max_listed_objects.
  void count_listed(std::string_view prefix, std::string_view start_after, std::size_t objects);

  RemoteStoreOptions m_options;
  Lane m_data;
  Lane m_lease;
  mutable std::mutex m_mutex; // guards everything below
  bool m_ever_connected = false;
  bool m_append_only = false; // from the latest auth reply
  std::vector<std::string> m_held_leases;
  std::map<std::string, std::size_t, std::less<>> m_listed; // objects so far, per prefix
};

} // namespace offsite::cli
