#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include <pthread.h>

#include "server/serve/serve.hpp"
#include "server/state/identity_store.hpp"
#include "tests/unit/temp_dir.hpp"
#include "transport/net/tcp_connector.hpp"
#include "transport/tls/tls.hpp"
#include "transport/wire/frame.hpp"

using namespace offsite;
using transport::Deadline;
using transport::Frame;
using transport::Op;

TEST_SUITE_BEGIN("server::serve");

TEST_CASE("given a running server, when requests are pipelined over TLS, then replies come in "
          "order and SIGTERM ends serve with 0") {
  test::TempDir dir;
  const auto identity = server::init_identity(dir.path()).identity;
  server::ServeOptions options;
  options.data_dir = dir.path();
  const transport::Endpoint address{"127.239.112.42", 16384};
  options.listen = {address};

  int status = -1;
  std::thread thread([&] { status = server::serve(options); });

  auto connector = std::make_shared<transport::TcpConnector>();
  transport::TlsConnector tls(connector, {transport::fingerprint(identity.cert_pem), {}});
  std::unique_ptr<transport::Stream> stream;
  for (int attempt = 0; attempt < 200 && !stream; ++attempt) {
    try {
      stream = tls.connect(address, Deadline::after(std::chrono::seconds(5)));
    } catch (const transport::TransportError&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25)); // not listening yet
    }
  }
  REQUIRE(stream);
  const auto deadline = Deadline::after(std::chrono::seconds(30));

  transport::write_frame(*stream, Op::hello, 1, {{"client", "test"}}, {}, deadline);
  transport::write_frame(*stream, Op::register_account, 2, nlohmann::json::object(), {}, deadline);
  transport::write_frame(*stream, Op::get, 3, {{"key", "keys/a"}}, {}, deadline);
  const auto hello = transport::read_frame(*stream, deadline);
  const auto reg = transport::read_frame(*stream, deadline);
  const auto early = transport::read_frame(*stream, deadline);
  CHECK(hello.id == 1);
  CHECK(hello.op == Op::reply_ok);
  CHECK(hello.header.at("network_map").at("subnets") ==
        nlohmann::json::array({"127.239.112.0/24"}));
  REQUIRE(reg.op == Op::reply_ok);
  CHECK(reg.header.at("storage_pair") ==
        nlohmann::json::array({"127.239.112.42:16384", "127.239.112.42:16384"}));
  CHECK(early.id == 3);
  CHECK(transport::error_of(early).code == "auth_required");

  // Pipelined: auth and ten puts before reading anything.
  transport::write_frame(
      *stream, Op::auth, 10,
      {{"account_id", reg.header.at("account_id")}, {"secret", reg.header.at("secret")}}, {},
      deadline);
  const std::vector<std::uint8_t> data{1, 2, 3};
  for (std::uint32_t i = 0; i < 10; ++i)
    transport::write_frame(*stream, Op::put, 11 + i, {{"key", "keys/0" + std::to_string(i)}}, data,
                           deadline);
  transport::write_frame(*stream, Op::list, 21, {{"prefix", "keys/"}}, {}, deadline);
  for (std::uint32_t id = 10; id <= 20; ++id) {
    const auto reply = transport::read_frame(*stream, deadline);
    CHECK(reply.id == id);
    CHECK(reply.op == Op::reply_ok);
  }
  const auto listed = transport::read_frame(*stream, deadline);
  CHECK(listed.id == 21);
  CHECK(listed.header.at("objects").size() == 10);

  // SIGTERM while this connection is idle: serve aborts it and returns 0.
  pthread_kill(thread.native_handle(), SIGTERM);
  thread.join();
  CHECK(status == 0);
  CHECK_THROWS(transport::read_frame(*stream, deadline));
}

TEST_SUITE_END();
