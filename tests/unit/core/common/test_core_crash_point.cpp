#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>

#include <sys/wait.h>
#include <unistd.h>

#include "core/common/crash_point.hpp"

namespace {

// Runs crash_point(`name`) `times` times in a child whose environment sets
// OFFSITE_TEST_CRASH_AT=`armed`; returns the child's wait status.
int run_child(const char* armed, const char* name, int times) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setenv("OFFSITE_TEST_CRASH_AT", armed, 1);
    for (int i = 0; i < times; ++i)
      offsite::core::crash_point(name);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
bool exited(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

} // namespace

TEST_SUITE_BEGIN("core::crash_point");

TEST_CASE("given the point's name, when it is reached, then the process dies of SIGKILL") {
  CHECK(killed(run_child("step", "step", 1)));
}

TEST_CASE("given NAME:N, then the process lives through N-1 hits and dies at the Nth") {
  CHECK(exited(run_child("step:3", "step", 2)));
  CHECK(killed(run_child("step:3", "step", 3)));
}

TEST_CASE("given another name or a malformed count, then nothing happens") {
  CHECK(exited(run_child("other", "step", 3)));
  CHECK(exited(run_child("step:0", "step", 3)));
  CHECK(exited(run_child("step:x", "step", 3)));
  CHECK(exited(run_child("", "step", 3)));
}

TEST_SUITE_END();
