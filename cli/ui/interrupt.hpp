#pragma once
// SIGINT/SIGTERM set a flag that long-running work polls, so it can stop at a
// safe point (packs flushed, nothing half-written) instead of dying mid-write.

namespace offsite::cli {

void install_interrupt_handlers();
bool interrupted();
// Stops the work as SIGINT would, for a reason found inside (a lost lock).
void interrupt_now();

} // namespace offsite::cli
