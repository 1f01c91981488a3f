#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>

#include <sys/socket.h>

#include "core/store/local_store.hpp"
#include "server/handler/handler.hpp"
#include "server/serve/pipelined_connection.hpp"
#include "tests/unit/server/serve/gate_store.hpp"
#include "tests/unit/temp_dir.hpp"
#include "transport/net/socket_stream.hpp"
#include "transport/wire/frame.hpp"

using namespace offsite;
using server::PipelineEnd;
using transport::Deadline;
using transport::Frame;
using transport::Op;
using json = nlohmann::json;

namespace {

Frame call(server::Session& session, Op op, json header) {
  Frame frame;
  frame.op = op;
  frame.header = std::move(header);
  return session.handle(frame);
}

// A logged-in session served by serve_pipelined on one end of a socket
// pair; the test is the client on the other end.
struct Fixture {
  explicit Fixture(std::size_t budget_bytes) : budget(budget_bytes) {
    const auto reg = call(session, Op::register_account, json::object());
    REQUIRE(reg.op == Op::reply_ok);
    REQUIRE(call(session, Op::auth,
                 {{"account_id", reg.header["account_id"]}, {"secret", reg.header["secret"]}})
                .op == Op::reply_ok);
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    server_side = std::make_unique<transport::SocketStream>(fds[0], "client");
    client = std::make_unique<transport::SocketStream>(fds[1], "server");
    thread = std::thread([this] {
      try {
        end = server::serve_pipelined(*server_side, session, budget, wake, settings, hooks);
      } catch (const std::exception&) {
        failed = true;
      }
    });
  }
  ~Fixture() {
    client->abort();
    thread.join();
  }

  test::TempDir dir;
  core::LocalStore local{dir / "store"};
  test::GateStore store{local};
  server::ServerContext context{store, server::ServerOptions{}};
  server::Session session{context, "127.0.0.1"};
  server::ByteBudget budget;
  server::WakeFd wake;
  server::PipelineSettings settings{16, std::chrono::seconds(60), nullptr};
  std::atomic<bool> stopping{false}; // what SIGTERM sets in serve()
  server::ConnectionHooks hooks{[this] { return !stopping.load(); }, [] {},
                                [this] { return stopping.load(); }};
  std::unique_ptr<transport::SocketStream> server_side;
  std::unique_ptr<transport::SocketStream> client;
  std::optional<PipelineEnd> end;
  bool failed = false;
  std::thread thread;
};

const Deadline k_deadline = Deadline::never();

} // namespace

TEST_SUITE_BEGIN("server::serve_pipelined");

TEST_CASE("given a memory budget of two puts, when four slow puts are pipelined, then the third "
          "is not read until a reply gives budget back, and all are answered in order") {
  const std::string payload(10'000, 'x');
  Fixture f(2 * (payload.size() + 200));
  for (int i = 0; i < 4; ++i)
    f.store.hold("a" + std::to_string(i));
  const auto deadline = Deadline::after(test::k_gate_wait);
  for (std::uint32_t i = 0; i < 4; ++i) {
    const std::string key = "keys/a" + std::to_string(i);
    transport::write_frame(*f.client, Op::put, 10 + i, {{"key", key}},
                           {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()},
                           deadline);
  }
  REQUIRE(f.store.wait_logged("start put a0"));
  REQUIRE(f.store.wait_logged("start put a1"));
  CHECK_FALSE(f.store.logged_within("start put a2", std::chrono::milliseconds(300)));
  CHECK(f.budget.used() <= f.budget.limit());
  for (int i = 0; i < 4; ++i)
    f.store.open("a" + std::to_string(i));
  for (std::uint32_t i = 0; i < 4; ++i) {
    const auto reply = transport::read_frame(*f.client, deadline);
    CHECK(reply.id == 10 + i);
    CHECK(reply.op == Op::reply_ok);
  }
  CHECK_FALSE(f.store.gave_up());
  f.client->shutdown_write(deadline);
  CHECK_FALSE(transport::read_frame_or_eof(*f.client, deadline)); // the server closes too
  f.thread.join();
  f.thread = std::thread([] {});
  CHECK_FALSE(f.failed);
  CHECK(f.end == PipelineEnd::closed);
  CHECK(f.budget.used() == 0);
}

TEST_CASE("given a slow get and a fast one behind it, when pipelined over a socket, then the fast "
          "one's reply waits for the slow one's") {
  Fixture f(1u << 30);
  REQUIRE(call(f.session, Op::put, {{"key", "keys/51"}}).op == Op::reply_ok);
  REQUIRE(call(f.session, Op::put, {{"key", "keys/fa"}}).op == Op::reply_ok);
  f.store.hold("51");
  const auto deadline = Deadline::after(test::k_gate_wait);
  transport::write_frame(*f.client, Op::get, 1, {{"key", "keys/51"}}, {}, deadline);
  transport::write_frame(*f.client, Op::get, 2, {{"key", "keys/fa"}}, {}, deadline);
  REQUIRE(f.store.wait_logged("end get fa"));
  f.store.open("51");
  CHECK(transport::read_frame(*f.client, deadline).id == 1);
  CHECK(transport::read_frame(*f.client, deadline).id == 2);
  CHECK_FALSE(f.store.gave_up());
}

TEST_CASE("given unregister in a pipeline, when it is answered, then the loop hands the connection "
          "back to the pre-login rules") {
  Fixture f(1u << 30);
  const auto deadline = Deadline::after(test::k_gate_wait);
  transport::write_frame(*f.client, Op::unregister, 7, json::object(), {}, deadline);
  const auto reply = transport::read_frame(*f.client, deadline);
  CHECK(reply.op == Op::reply_ok);
  f.thread.join();
  f.thread = std::thread([] {});
  CHECK(f.end == PipelineEnd::logged_out);
}

TEST_CASE("given a request in the store, when the server stops, then it is answered and nothing "
          "sent after the stop is handled") {
  Fixture f(1u << 30);
  REQUIRE(call(f.session, Op::put, {{"key", "keys/51"}}).op == Op::reply_ok);
  REQUIRE(call(f.session, Op::put, {{"key", "keys/fa"}}).op == Op::reply_ok);
  f.store.hold("51");
  const auto deadline = Deadline::after(test::k_gate_wait);
  transport::write_frame(*f.client, Op::get, 1, {{"key", "keys/51"}}, {}, deadline);
  REQUIRE(f.store.wait_logged("start get 51"));
  f.stopping = true;
  f.wake.notify(); // as Connections::stop does
  transport::write_frame(*f.client, Op::get, 2, {{"key", "keys/fa"}}, {}, deadline);
  CHECK_FALSE(f.store.logged_within("start get fa", std::chrono::milliseconds(300)));
  f.store.open("51");
  const auto reply = transport::read_frame(*f.client, deadline);
  CHECK(reply.id == 1);
  CHECK(reply.op == Op::reply_ok);
  f.thread.join();
  f.thread = std::thread([] {});
  CHECK_FALSE(f.failed);
  CHECK(f.end == PipelineEnd::closed);
  CHECK_FALSE(f.store.logged("start get fa"));
}
