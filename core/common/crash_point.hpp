#pragma once
// Test-only crash points: named steps where a test may kill the process to
// prove that an interruption there loses nothing (README, "Test-only hooks").
//
// OFFSITE_TEST_CRASH_AT=NAME kills the process with SIGKILL the first time
// crash_point("NAME") runs; NAME:N on its Nth run. Unset (every real use),
// a crash point costs one comparison. The variable is read once per process,
// at the first crash point reached.
#include <string_view>

namespace offsite::core {

// Thread-safe; never returns when it fires. Before the kill it writes one
// line naming the point to stderr, so that a test can tell a crash point
// that fired from one that was never reached.
void crash_point(std::string_view name);

} // namespace offsite::core
