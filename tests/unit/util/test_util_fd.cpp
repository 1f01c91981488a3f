#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "util/fd.hpp"

using offsite::util::Fd;

TEST_SUITE_BEGIN("util::Fd");

namespace {

int open_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

} // namespace

TEST_CASE("given an owned descriptor when the Fd goes out of scope then it is closed") {
  int raw = -1;
  {
    const Fd fd(open_null());
    raw = fd.get();
    REQUIRE(fd.valid());
    CHECK(is_open(raw));
  }
  CHECK_FALSE(is_open(raw));
}

TEST_CASE(
    "given an Fd when it is moved then the new owner closes it once and the old one is empty") {
  Fd first(open_null());
  const int raw = first.get();
  Fd second(std::move(first));
  CHECK_FALSE(
      first.valid()); // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  CHECK(second.get() == raw);
  Fd third;
  third = std::move(second);
  CHECK(third.get() == raw);
  CHECK(is_open(raw));
  third = Fd();
  CHECK_FALSE(is_open(raw));
}

TEST_CASE("given an Fd when it is released then the descriptor stays open for the caller") {
  Fd fd(open_null());
  const int raw = fd.release();
  CHECK_FALSE(fd.valid());
  CHECK(is_open(raw));
  CHECK(::close(raw) == 0);
}

TEST_CASE("given an Fd when it is reset to another descriptor then the old one is closed") {
  Fd fd(open_null());
  const int old_raw = fd.get();
  const int new_raw = open_null();
  fd.reset(new_raw);
  CHECK(fd.get() == new_raw);
  // The kernel may hand the old number out again; only then is it open.
  CHECK((old_raw == new_raw || !is_open(old_raw)));
  fd.reset();
  CHECK_FALSE(fd.valid());
  CHECK_FALSE(is_open(new_raw));
}

TEST_CASE("given an empty Fd when it is destroyed then nothing is closed") {
  const Fd empty;
  CHECK(empty.get() == -1);
  CHECK_FALSE(empty.valid());
}

TEST_SUITE_END();
