#pragma once
// What a fuzz target asserts beyond "no crash": a property of the decoder
// (a round trip, a bound) that must hold for every input. A broken one
// aborts with the reason, which libFuzzer reports as a crash and saves.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                      \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__);     \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
