#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include <pthread.h>

#include "cli/remote/remote_store.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"
#include "core/store/local_store.hpp"
#include "server/serve/serve.hpp"
#include "server/state/account_registry.hpp"
#include "server/state/identity_store.hpp"
#include "tests/unit/temp_dir.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/net/tcp_listener.hpp"
#include "transport/tls/identity.hpp"
#include "transport/tls/tls.hpp"

using namespace offsite;
using transport::Deadline;
using transport::Endpoint;
using transport::Op;

TEST_SUITE_BEGIN("cli::RemoteStore");

namespace {

// An offsited serving `dir` on `address`, in a thread of this process,
// stopped by SIGTERM to that thread (serve waits for it with sigwait).
class RunningServer {
public:
  RunningServer(const std::filesystem::path& dir, Endpoint address) : m_address(address) {
    server::ServeOptions options;
    options.data_dir = dir;
    options.listen = {address};
    m_thread = std::thread([this, options] { m_status = server::serve(options); });
    // Bounded wait until it accepts connections.
    transport::TcpConnector tcp;
    for (int attempt = 0; attempt < 400; ++attempt) {
      try {
        tcp.connect(address, Deadline::after(std::chrono::seconds(2)));
        return;
      } catch (const transport::TransportError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
    FAIL("the server did not start listening on " << address.to_string());
  }
  ~RunningServer() { stop(); }
  int stop() {
    if (m_thread.joinable()) {
      pthread_kill(m_thread.native_handle(), SIGTERM);
      m_thread.join();
    }
    return m_status;
  }

private:
  Endpoint m_address;
  std::thread m_thread;
  int m_status = -1;
};

struct Account {
  std::string id;
  std::string secret;
};

Account register_on(const std::string& pin, const Endpoint& server) {
  transport::TlsConnector tls(std::make_shared<transport::TcpConnector>(), {pin, {}});
  transport::FramePipeline pipeline(tls.connect(server, Deadline::after(std::chrono::seconds(10))));
  const auto reply = pipeline.call(Op::register_account, nlohmann::json::object());
  REQUIRE(reply.op == Op::reply_ok);
  return {reply.header.at("account_id"), reply.header.at("secret")};
}

cli::RemoteStoreOptions options_for(const std::string& pin, const Account& account,
                                    std::vector<Endpoint> servers) {
  cli::RemoteStoreOptions options;
  options.link.servers = std::move(servers);
  options.link.subnets = {*transport::Cidr::parse("127.239.112.0/24"),
                          *transport::Cidr::parse("127.239.113.0/24")};
  options.link.connector = cli::make_connector(pin, nlohmann::json::object());
  options.link.connect_timeout = std::chrono::seconds(5);
  options.account_id = account.id;
  options.secret = account.secret;
  options.retry_window = std::chrono::seconds(10);
  return options;
}

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

} // namespace

TEST_CASE("given a logged-in RemoteStore, when objects are stored, then get, head, list and "
          "remove see exactly them") {
  test::TempDir dir;
  const auto pin = transport::fingerprint(server::init_identity(dir.path()).identity.cert_pem);
  const Endpoint address{"127.239.112.51", 16384};
  RunningServer server(dir.path(), address);
  const auto account = register_on(pin, address);
  cli::RemoteStore store(options_for(pin, account, {address, {"127.239.113.51", 16384}}));

  CHECK(store.put("keys/01", bytes_of("first")));
  CHECK_FALSE(store.put("keys/01", bytes_of("other"))); // create-only
  CHECK(store.put("keys/02", bytes_of("second")));
  CHECK(store.get("keys/01", 0, std::nullopt) == bytes_of("first"));
  CHECK(store.get("keys/02", 1, 3) == bytes_of("eco"));
  CHECK(store.head("keys/02") == 6u);
  CHECK_FALSE(store.head("keys/03"));
  CHECK_FALSE(store.get("keys/03", 0, std::nullopt));

  const auto page = store.list("keys/", "", 1);
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].key == "keys/01");
  CHECK(page.truncated);
  const auto all = core::list_all(store, "keys/");
  REQUIRE(all.size() == 2);
  CHECK(all[1].key == "keys/02");
  CHECK(all[1].size == 6);

  CHECK(store.remove("keys/01"));
  CHECK_FALSE(store.remove("keys/01"));
  CHECK(store.current_server() == "127.239.112.51:16384");
}

TEST_CASE("given several threads, when they upload at once over one pipelined connection, then "
          "every object arrives intact") {
  test::TempDir dir;
  const auto pin = transport::fingerprint(server::init_identity(dir.path()).identity.cert_pem);
  const Endpoint address{"127.239.112.52", 16384};
  RunningServer server(dir.path(), address);
  const auto account = register_on(pin, address);
  cli::RemoteStore store(options_for(pin, account, {address, {"127.239.113.52", 16384}}));

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 25; ++i) {
        Bytes data(static_cast<std::size_t>(1000 + 977 * i), static_cast<std::uint8_t>(t * 25 + i));
        const std::string key = "index/" + to_hex(core::crypto::sha256(data));
        store.put(key, data);
        CHECK(store.get(key, 0, std::nullopt) == data);
      }
    });
  for (auto& thread : threads)
    thread.join();
  CHECK(core::list_all(store, "index/").size() == 100);
}

TEST_CASE("given a primary that refuses connections, when the store is used, then it continues on "
          "the alternate and says so once") {
  test::TempDir dir;
  const auto pin = transport::fingerprint(server::init_identity(dir.path()).identity.cert_pem);
  const Endpoint primary{"127.239.112.53", 16384}; // nothing listens here
  const Endpoint alternate{"127.239.113.53", 16384};
  RunningServer server(dir.path(), alternate);
  const auto account = register_on(pin, alternate);
  auto options = options_for(pin, account, {primary, alternate});
  std::vector<std::string> notices;
  options.notice = [&](const std::string& text) { notices.push_back(text); };
  cli::RemoteStore store(options);

  CHECK(store.put("keys/a", bytes_of("a")));
  CHECK(store.put("keys/b", bytes_of("b")));
  CHECK(store.current_server() == alternate.to_string());
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].find("primary server 127.239.112.53:16384 failed (refused") !=
        std::string::npos);
  CHECK(notices[0].find("continuing on the alternate 127.239.113.53:16384") != std::string::npos);
}

TEST_CASE("given the primary stops mid-operation, when uploads go on, then they complete on the "
          "alternate with nothing lost") {
  test::TempDir dir;
  const auto pin = transport::fingerprint(server::init_identity(dir.path()).identity.cert_pem);
  const Endpoint primary{"127.239.112.54", 16384};
  const Endpoint alternate{"127.239.113.54", 16384};
  auto first = std::make_unique<RunningServer>(dir.path(), primary);
  RunningServer second(dir.path(), alternate); // same data directory, like a shared store
  const auto account = register_on(pin, primary);
  cli::RemoteStore store(options_for(pin, account, {primary, alternate}));

  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    if (i == 20) CHECK(first->stop() == 0);
    Bytes data(200000, static_cast<std::uint8_t>(i));
    keys.push_back("data/" + to_hex(core::crypto::sha256(data)).substr(0, 2) + "/" +
                   to_hex(core::crypto::sha256(data)));
    CHECK(store.put(keys.back(), data));
  }
  CHECK(store.current_server() == alternate.to_string());
  for (const auto& key : keys)
    CHECK(store.head(key) == 200000u);
}

TEST_CASE("given the wrong fingerprint, when connecting, then no_server names the interception") {
  test::TempDir dir;
  test::TempDir other;
  const auto pin = transport::fingerprint(server::init_identity(dir.path()).identity.cert_pem);
  const auto wrong = transport::fingerprint(server::init_identity(other.path()).identity.cert_pem);
  const Endpoint address{"127.239.112.55", 16384};
  RunningServer server(dir.path(), address);
  cli::RemoteStore store(options_for(wrong, {"0123456789abcdef", "x"}, {address, address}));
  try {
    store.connect();
    FAIL("connect succeeded against the wrong identity");
  } catch (const Error& e) {
    CHECK(e.code() == Code::no_server);
    CHECK(std::string(e.what()).find("tls_intercepted") != std::string::npos);
    CHECK(std::string(e.what()).find(pin.substr(7, 16)) != std::string::npos);
  }
}

TEST_CASE("given a server outside the subnets, when connecting, then it is refused before any "
          "connection") {
  // 127.0.0.1 is outside the subnets; if anything were sent, the listener
  // below would see a connection.
  auto listener = transport::TcpListener::listen(Endpoint{"127.0.0.1", 0}, 4);
  const Endpoint outside{"127.0.0.1", listener->local_endpoint().port};
  cli::RemoteStore store(options_for(std::string("sha256:") + std::string(64, 'a'),
                                     {"0123456789abcdef", "x"}, {outside, outside}));
  try {
    store.connect();
    FAIL("connect succeeded");
  } catch (const Error& e) {
    CHECK(e.code() == Code::config);
    CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
    CHECK(std::string(e.what()).find("outside the data centre's subnets") != std::string::npos);
  }
  CHECK_FALSE(listener->accept(Deadline::after(std::chrono::milliseconds(200))));
}

TEST_CASE("given an account the operator made append-only, when the store logs in, then "
          "append_only() says so, and not for another account") {
  test::TempDir dir;
  const auto pin = transport::fingerprint(server::init_identity(dir.path()).identity.cert_pem);
  const Endpoint address{"127.239.112.56", 16384};
  RunningServer server(dir.path(), address);
  const auto locked = register_on(pin, address);
  const auto open = register_on(pin, address);
  {
    // What `offsited account set ID --append-only on` does; sessions read
    // the record when they log in.
    core::LocalStore store(dir.path() / "store");
    server::AccountRegistry registry(store);
    auto record = registry.find(locked.id);
    REQUIRE(record);
    record->append_only = true;
    registry.update(*record);
  }
  cli::RemoteStore locked_store(options_for(pin, locked, {address, {"127.239.113.56", 16384}}));
  CHECK_FALSE(locked_store.append_only()); // not known before the login
  locked_store.connect();
  CHECK(locked_store.append_only());
  CHECK(locked_store.account_id() == locked.id);

  cli::RemoteStore open_store(options_for(pin, open, {address, {"127.239.113.56", 16384}}));
  open_store.connect();
  CHECK_FALSE(open_store.append_only());
}

TEST_SUITE_END();
