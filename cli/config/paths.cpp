#include "cli/config/paths.hpp"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

std::filesystem::path home_dir() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_dir) return pw->pw_dir;
  throw Error(Code::config, "cannot find the home directory",
              "set HOME, or pass --config-dir and --cache-dir");
}

std::filesystem::path xdg(const char* variable, const char* fallback) {
  if (const char* dir = std::getenv(variable); dir && *dir && dir[0] == '/')
    return std::filesystem::path(dir) / "offsite";
  return home_dir() / fallback / "offsite";
}

} // namespace

std::filesystem::path config_dir(const GlobalOptions& options) {
  if (!options.config_dir.empty()) return std::filesystem::absolute(options.config_dir);
  return xdg("XDG_CONFIG_HOME", ".config");
}

std::filesystem::path cache_dir(const GlobalOptions& options) {
  if (!options.cache_dir.empty()) return std::filesystem::absolute(options.cache_dir);
  return xdg("XDG_CACHE_HOME", ".cache");
}

} // namespace offsite::cli
