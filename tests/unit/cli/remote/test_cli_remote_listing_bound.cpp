#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "cli/remote/remote_store.hpp"
#include "core/common/error.hpp"
#include "transport/net/tcp_listener.hpp"
#include "transport/tls/identity.hpp"
#include "transport/tls/tls.hpp"
#include "transport/wire/messages.hpp"

using namespace offsite;
using transport::Deadline;
using transport::Endpoint;
using transport::Op;
namespace wire = transport::wire;

namespace {

// A broken or hostile server that answers hello and auth, and every list
// request with a full page of new, valid, sorted keys and "truncated",
// for ever. Serves one connection on `address`.
class EndlessListingServer {
public:
  explicit EndlessListingServer(Endpoint address)
      : m_ca(transport::generate_ca()), m_leaf(transport::issue_server_cert(m_ca, {address.host})),
        m_tls(transport::TlsServerConfig{m_leaf.key_pem, m_leaf.chain_pem(m_ca)}),
        m_listener(transport::TcpListener::listen(address, 4)), m_thread([this] { serve(); }) {}
  ~EndlessListingServer() {
    m_stopping = true;
    m_thread.join();
  }
  std::string pin() const { return transport::fingerprint(m_ca.cert_pem); }
  std::atomic<std::size_t> pages{0};

private:
  void serve() {
    const auto soon = [] { return Deadline::after(std::chrono::seconds(10)); };
    auto tcp = m_listener->accept(soon());
    if (!tcp) return;
    try {
      auto stream = m_tls.accept(std::move(tcp), soon());
      while (!m_stopping) {
        auto request = transport::read_frame_or_eof(*stream, soon());
        if (!request) return;
        transport::write_frame(*stream, answer(*request), soon());
      }
    } catch (const transport::TransportError&) {
      // the client hung up at the bound
    }
  }

  transport::Frame answer(const transport::Frame& request) {
    switch (request.op) {
    case Op::hello: return transport::make_reply_ok(request.id, wire::HelloReply{}.encode());
    case Op::auth: return transport::make_reply_ok(request.id, wire::AuthReply{}.encode());
    case Op::list: {
      const auto asked = wire::ListRequest::decode(request.header);
      wire::ListReply page;
      page.truncated = true;
      for (std::uint64_t i = 0; i < wire::k_max_list_limit; ++i)
        page.objects.push_back({fmt::format("{}{:064x}", asked.prefix, m_next++), 100});
      ++pages;
      return transport::make_reply_ok(request.id, page.encode());
    }
    default: return transport::make_reply_error(request.id, "unsupported", "not here");
    }
  }

  transport::CaIdentity m_ca;
  transport::ServerCertificate m_leaf;
  transport::TlsServer m_tls;
  std::unique_ptr<transport::TcpListener> m_listener;
  std::atomic<bool> m_stopping{false};
  std::uint64_t m_next = 0;
  std::thread m_thread; // last: starts after everything above exists
};

} // namespace

TEST_SUITE_BEGIN("cli::RemoteStore");

TEST_CASE("given a server whose listing never ends, when listing, then the client stops at its "
          "bound with an error naming it") {
  // The default bound (4 million objects, 64 TiB of packs) takes minutes to
  // reach over a real connection; the same code stops at a smaller one.
  CHECK(cli::RemoteStoreOptions{}.max_listed_objects == 4'000'000);
  const Endpoint address{"127.239.112.57", 16384};
  EndlessListingServer server(address);
  cli::RemoteStoreOptions options;
  options.link.servers = {address};
  options.link.subnets = {*transport::Cidr::parse("127.239.112.0/24")};
  options.link.connector = cli::make_connector(server.pin(), nlohmann::json::object());
  options.link.connect_timeout = std::chrono::seconds(5);
  options.account_id = "0123456789abcdef0123";
  options.secret = "secret";
  options.retry_window = std::chrono::seconds(10);
  options.max_listed_objects = 5500;
  cli::RemoteStore store(options);

  std::string after;
  std::size_t listed = 0;
  try {
    for (int page = 0; page < 100; ++page) {
      const auto got = store.list("snapshots/", after, 1000);
      REQUIRE(got.truncated);
      listed += got.objects.size();
      after = got.objects.back().key;
    }
    FAIL("the listing was not stopped");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "the server listed more than 5500 objects under "
                                   "\"snapshots/\"; stopped listing (a protocol error: no "
                                   "repository holds that many)");
  }
  CHECK(listed == 5000); // five pages handed on; the sixth crossed the bound
  CHECK(server.pages == 6);

  // A new listing of the prefix starts counting again.
  CHECK(store.list("snapshots/", "", 1000).objects.size() == 1000);
}

TEST_SUITE_END();
