#include "cli/config/rollback_state.hpp"

#include <fstream>
#include <sstream>

#include "cli/config/paths.hpp"
#include "core/common/atomic_file.hpp"

namespace offsite::cli {

std::filesystem::path rollback_state_path(const GlobalOptions& options,
                                          const std::string& repository_id) {
  return config_dir(options) / "state" / (repository_id + ".json");
}

std::optional<core::RollbackMemory> load_rollback_memory(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return core::RollbackMemory{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  return core::RollbackMemory::from_json(doc);
}

void save_rollback_memory(const std::filesystem::path& path, const core::RollbackMemory& memory) {
  std::filesystem::create_directories(path.parent_path());
  core::write_file_atomically(path, memory.to_json().dump(2) + "\n", 0600);
}

} // namespace offsite::cli
