#pragma once
#include <filesystem>

#include "cli/global_options.hpp"

namespace offsite::cli {

// --config-dir, else $XDG_CONFIG_HOME/offsite, else ~/.config/offsite.
std::filesystem::path config_dir(const GlobalOptions& options);
// --cache-dir, else $XDG_CACHE_HOME/offsite, else ~/.cache/offsite.
std::filesystem::path cache_dir(const GlobalOptions& options);

} // namespace offsite::cli
