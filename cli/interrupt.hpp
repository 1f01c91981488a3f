#pragma once
// SIGINT/SIGTERM set a flag that long-running work polls, so it can stop at a
// safe point (packs flushed, nothing half-written) instead of dying mid-write.

namespace offsite::cli {

void install_interrupt_handlers();
bool interrupted();

} // namespace offsite::cli
