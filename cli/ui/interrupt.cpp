#include "cli/ui/interrupt.hpp"

#include <atomic>
#include <csignal>

namespace offsite::cli {

namespace {
volatile std::sig_atomic_t g_interrupted = 0; // NOLINT: a signal flag must be global

extern "C" void on_signal(int) { g_interrupted = 1; }
} // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A closed pipe to a consumer of --json must not kill us mid-write.
  std::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_interrupted != 0; }

void interrupt_now() { g_interrupted = 1; }

} // namespace offsite::cli
