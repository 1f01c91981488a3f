#include <malloc.h>

#include <algorithm>
#include <thread>

#include "cli/app.hpp"

int main(int argc, char** argv) {
  // glibc gives threads that allocate at once arenas of their own, up to
  // eight per core, and each arena keeps what its threads freed. A restore's
  // workers free blocks of packs and blobs all the time: one arena per core
  // took ~40 MiB off the peak RSS of a 1 GiB restore at the same speed
  // (bench/RESULTS.md, issue 20). Set before any thread starts.
  const unsigned cores = std::max(2U, std::thread::hardware_concurrency());
  (void)mallopt(M_ARENA_MAX, static_cast<int>(cores));
  return offsite::cli::run(argc, argv);
}
