#pragma once
// The --host, --tag and --path flags that choose snapshots, declared the
// same way for every command. What they mean, and how a snapshot reference
// is resolved, is core's (core/repo/snapshot_select.hpp).

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/repo/snapshot_select.hpp"

namespace offsite::cli {

// Adds --host, --tag and --path to `sub`; `purpose` ends each description
// ("Only snapshots of this host" + purpose).
void add_snapshot_filter(CLI::App& sub, core::SnapshotFilter& filter,
                         std::string_view purpose = "");

// Tags as flags give them, "a,b" or repeated (backup --tag, tag --add):
// one tag per element, empty ones dropped, in the order given.
std::vector<std::string> split_tag_list(const std::vector<std::string>& given);

} // namespace offsite::cli
