#pragma once
// Where the client keeps its rollback memory (core/repo/rollback_memory.hpp):
// one small JSON file per repository, <config dir>/state/<repository id>.json,
// written atomically and 0600. It lives beside the configuration, not in
// the cache, because clearing a cache must not clear what guards against a
// rolled-back data centre.

#include <filesystem>
#include <optional>
#include <string>

#include "cli/global_options.hpp"
#include "core/repo/rollback_memory.hpp"

namespace offsite::cli {

std::filesystem::path rollback_state_path(const GlobalOptions& options,
                                          const std::string& repository_id);

// The remembered state; empty when there is none yet. nullopt when the file
// exists but cannot be read or parsed (the caller warns and starts afresh).
std::optional<core::RollbackMemory> load_rollback_memory(const std::filesystem::path& path);

// Throws Error (no_space, generic) when it cannot be written.
void save_rollback_memory(const std::filesystem::path& path, const core::RollbackMemory& memory);

} // namespace offsite::cli
