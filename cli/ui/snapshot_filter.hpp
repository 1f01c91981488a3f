#pragma once
// The --host, --tag and --path flags that choose snapshots, declared the
// same way for every command. What they mean, and how a snapshot reference
// is resolved, is core's (core/repo/snapshot_select.hpp).

#include <string_view>

#include <CLI/CLI.hpp>

#include "core/repo/snapshot_select.hpp"

namespace offsite::cli {

// Adds --host, --tag and --path to `sub`; `purpose` ends each description
// ("Only snapshots of this host" + purpose).
void add_snapshot_filter(CLI::App& sub, core::SnapshotFilter& filter,
                         std::string_view purpose = "");

} // namespace offsite::cli
