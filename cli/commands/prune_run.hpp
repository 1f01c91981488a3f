#pragma once
// Prune as a function, so that `forget --prune` runs exactly what `prune`
// runs, inside its own repository session and lease.

#include "cli/access/repository_access.hpp"
#include "cli/ui/terminal.hpp"

namespace offsite::cli {

struct PruneOptions {
  bool dry_run = false;
  double max_repack_unused = 50.0; // percent; see core::PruneOptions
};

// Plans and (unless dry_run) carries out a prune on an open repository whose
// caller holds RepoLock::exclusive (shared suffices for a dry run). Prints
// the plan and the result (text, or JSON Lines ending in one "summary").
// Returns the exit status; throws Error like core::execute_prune.
int run_prune(RepositoryContext& context, Terminal& terminal, const PruneOptions& options);

} // namespace offsite::cli
