#pragma once
// The libfuse3 glue of offsite mount: core/mount/snapshot_fs answers, this
// maps its answers onto FUSE callbacks (a missing name ENOENT, damaged or
// missing data EIO with a warning naming the file, never wrong bytes) and
// runs the session in the foreground until the file system is unmounted
// (fusermount3 -u) or the command is interrupted (SIGINT/SIGTERM, a lost
// lease: cli/ui/interrupt), then unmounts.

#include <functional>
#include <string>

#include "core/mount/snapshot_fs.hpp"

namespace offsite::cli {

struct FuseMountOptions {
  std::string mountpoint;
  // Called once the kernel has the mount (before serving requests).
  std::function<void()> on_mounted;
  // A read or listing that failed on damaged data: the path and why.
  std::function<void(const std::string& path, const std::string& reason)> on_damage;
};

// Serves `fs` read-only at options.mountpoint on this thread, one request
// at a time (the repository's loads are not shared between threads here).
// Returns when unmounted; throws Error(generic) when mounting fails.
void serve_fuse(core::mount::SnapshotFs& fs, const FuseMountOptions& options);

} // namespace offsite::cli
