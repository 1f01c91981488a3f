#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/store/local_store.hpp"
#include "server/handler/handler.hpp"
#include "server/serve/request_scheduler.hpp"
#include "tests/unit/server/serve/gate_store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace offsite;
using server::ByteBudget;
using server::RequestScheduler;
using transport::Frame;
using transport::Op;
using json = nlohmann::json;

namespace {

Frame request(std::uint32_t id, Op op, json header, std::string payload = {}) {
  Frame frame;
  frame.id = id;
  frame.op = op;
  frame.header = std::move(header);
  frame.payload.assign(payload.begin(), payload.end());
  return frame;
}

// A logged-in session over a GateStore, and a scheduler in front of it.
struct Fixture {
  explicit Fixture(std::size_t max_in_flight = 16)
      : workers(max_in_flight),
        scheduler(
            workers, max_in_flight, [this](const Frame& r) { return session.handle(r); },
            [this] {
              std::lock_guard lock(mutex);
              ++ready;
              changed.notify_all();
            }) {
    const auto reg = session.handle(request(1, Op::register_account, json::object()));
    REQUIRE(reg.op == Op::reply_ok);
    const auto auth = session.handle(request(
        2, Op::auth, {{"account_id", reg.header["account_id"]}, {"secret", reg.header["secret"]}}));
    REQUIRE(auth.op == Op::reply_ok);
  }

  void submit(Frame frame) {
    auto order = server::order_of(frame);
    scheduler.submit(std::move(frame), std::move(order), budget.try_charge(1));
  }
  // Every reply of `count` requests, in the order take_reply gives them.
  std::vector<Frame> replies(std::size_t count) {
    std::vector<Frame> out;
    std::unique_lock lock(mutex);
    while (out.size() < count) {
      lock.unlock();
      while (auto reply = scheduler.take_reply())
        out.push_back(std::move(reply->frame));
      lock.lock();
      if (out.size() < count &&
          !changed.wait_for(lock, test::k_gate_wait, [&] { return ready > seen; }))
        break;
      seen = ready;
    }
    return out;
  }

  test::TempDir dir;
  core::LocalStore local{dir / "store"};
  test::GateStore store{local};
  server::ServerContext context{store, server::ServerOptions{}};
  server::Session session{context, "127.0.0.1"};
  ByteBudget budget{1u << 30};
  std::mutex mutex;
  std::condition_variable changed;
  int ready = 0;
  int seen = 0;
  server::WorkerPool workers;
  RequestScheduler scheduler;
};

std::vector<std::uint32_t> ids_of(const std::vector<Frame>& frames) {
  std::vector<std::uint32_t> ids;
  for (const auto& f : frames)
    ids.push_back(f.id);
  return ids;
}

} // namespace

TEST_SUITE_BEGIN("server::RequestScheduler");

TEST_CASE("given 8 pipelined gets, when the store answers none until all 8 arrived, then all 8 "
          "run at once and are answered in order") {
  Fixture f(8);
  for (int i = 0; i < 8; ++i)
    REQUIRE(f.session
                .handle(request(10, Op::put, {{"key", "keys/" + std::to_string(i)}},
                                "v" + std::to_string(i)))
                .op == Op::reply_ok);
  f.store.gets_meet(8);
  for (std::uint32_t i = 0; i < 8; ++i)
    f.submit(request(100 + i, Op::get, {{"key", "keys/" + std::to_string(i)}}));
  const auto replies = f.replies(8);
  CHECK_FALSE(f.store.gave_up());
  CHECK(f.store.most_gets_at_once() == 8);
  REQUIRE(replies.size() == 8);
  for (std::uint32_t i = 0; i < 8; ++i) {
    CHECK(replies[i].id == 100 + i);
    CHECK(replies[i].op == Op::reply_ok);
    CHECK(std::string(replies[i].payload.begin(), replies[i].payload.end()) ==
          "v" + std::to_string(i));
  }
}

TEST_CASE("given gets that finish in reverse order, when replies are taken, then they come in "
          "request order and none before the first is done") {
  Fixture f;
  for (int i = 0; i < 4; ++i)
    REQUIRE(
        f.session.handle(request(10, Op::put, {{"key", "keys/" + std::to_string(i)}}, "x")).op ==
        Op::reply_ok);
  for (int i = 0; i < 4; ++i)
    f.store.hold(std::to_string(i));
  for (std::uint32_t i = 0; i < 4; ++i)
    f.submit(request(200 + i, Op::get, {{"key", "keys/" + std::to_string(i)}}));
  for (int i = 3; i >= 1; --i) {
    f.store.open(std::to_string(i));
    REQUIRE(f.store.wait_logged("end get " + std::to_string(i)));
  }
  CHECK_FALSE(f.scheduler.take_reply()); // the first is still in the store
  CHECK(f.scheduler.in_flight() == 4);
  f.store.open("0");
  CHECK(ids_of(f.replies(4)) == std::vector<std::uint32_t>{200, 201, 202, 203});
  CHECK_FALSE(f.store.gave_up());
}

TEST_CASE("given a put and then a get of the same key in one pipeline, when the put is slow, then "
          "the get waits for it and sees its bytes while other keys go ahead") {
  Fixture f;
  REQUIRE(f.session.handle(request(10, Op::put, {{"key", "keys/bb"}}, "o")).op == Op::reply_ok);
  f.store.hold("aa");
  f.submit(request(300, Op::put, {{"key", "keys/aa"}}, "new bytes"));
  f.submit(request(301, Op::get, {{"key", "keys/aa"}}));
  f.submit(request(302, Op::get, {{"key", "keys/bb"}}));
  REQUIRE(f.store.wait_logged("end get bb")); // a later request overtook the slow put
  CHECK_FALSE(f.store.logged("start get aa"));
  f.store.open("aa");
  const auto replies = f.replies(3);
  REQUIRE(replies.size() == 3);
  CHECK(ids_of(replies) == std::vector<std::uint32_t>{300, 301, 302});
  REQUIRE(replies[1].op == Op::reply_ok);
  CHECK(std::string(replies[1].payload.begin(), replies[1].payload.end()) == "new bytes");
  CHECK(f.store.position("start get aa") > f.store.position("end put aa"));
}

TEST_CASE("given a lease op between two gets, when the first get is slow, then the lease op runs "
          "alone: after the first get ends and before the second starts") {
  Fixture f;
  for (const char* key : {"keys/a", "keys/b"})
    REQUIRE(f.session.handle(request(10, Op::put, {{"key", key}}, "x")).op == Op::reply_ok);
  f.store.hold("a");
  f.submit(request(400, Op::get, {{"key", "keys/a"}}));
  f.submit(request(401, Op::lease_list, json::object()));
  f.submit(request(402, Op::get, {{"key", "keys/b"}}));
  REQUIRE(f.store.wait_logged("start get a"));
  f.store.open("a");
  const auto replies = f.replies(3);
  CHECK(ids_of(replies) == std::vector<std::uint32_t>{400, 401, 402});
  const auto list_start = f.store.position("start list leases");
  const auto list_end = f.store.position("end list leases");
  REQUIRE(list_start >= 0);
  CHECK(list_start > f.store.position("end get a"));
  CHECK(f.store.position("start get b") > list_end);
}

TEST_CASE("given reads of one key, when pipelined, then they run at once (a restore reads many "
          "ranges of one pack)") {
  Fixture f(4);
  REQUIRE(f.session.handle(request(10, Op::put, {{"key", "keys/cc"}}, "0123456789")).op ==
          Op::reply_ok);
  f.store.gets_meet(4);
  for (std::uint32_t i = 0; i < 4; ++i)
    f.submit(request(500 + i, Op::get, {{"key", "keys/cc"}, {"offset", i}, {"length", 2}}));
  const auto replies = f.replies(4);
  CHECK_FALSE(f.store.gave_up());
  CHECK(ids_of(replies) == std::vector<std::uint32_t>{500, 501, 502, 503});
}

TEST_CASE("given requests not yet started, when the scheduler is cancelled, then they never run "
          "and the running one is waited for") {
  Fixture f;
  REQUIRE(f.session.handle(request(10, Op::put, {{"key", "keys/a"}}, "x")).op == Op::reply_ok);
  f.store.hold("a");
  f.submit(request(600, Op::get, {{"key", "keys/a"}}));
  f.submit(request(601, Op::lease_list, json::object())); // waits for the get
  REQUIRE(f.store.wait_logged("start get a"));
  std::thread canceller([&] { f.scheduler.cancel(); });
  // has_room() turns false once cancel() has begun; the get may end then.
  const auto give_up = std::chrono::steady_clock::now() + test::k_gate_wait;
  while (f.scheduler.has_room() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  f.store.open("a");
  canceller.join();
  CHECK(f.store.logged("end get a"));
  CHECK_FALSE(f.store.logged("start list leases"));
  CHECK_FALSE(f.scheduler.take_reply());
  CHECK(f.scheduler.in_flight() == 0);
}
