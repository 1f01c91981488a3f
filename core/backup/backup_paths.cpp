#include "core/backup/backup_paths.hpp"

#include <algorithm>

#include "core/common/error.hpp"
#include "core/format/tree.hpp"
#include "util/printable.hpp"

namespace offsite::core {

std::string normalise_backup_path(std::string_view path) {
  if (path.empty())
    throw Error(Code::usage, "an empty path was given", "name the files to back up");
  // lexically_normal keeps the '/' of "DIR/" and turns "DIR/." into "DIR/".
  std::string s = std::filesystem::absolute(path).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

std::vector<std::string> backup_snapshot_paths(const std::vector<std::filesystem::path>& paths,
                                               const std::optional<std::string>& stdin_name) {
  if (stdin_name) {
    if (!paths.empty())
      throw Error(Code::usage, "--stdin cannot be combined with paths",
                  "back up the paths and the stream in two runs");
    if (!is_safe_node_name(*stdin_name))
      throw Error(Code::usage,
                  "\"" + util::printable(*stdin_name, {.quoted = true}) +
                      "\" cannot be a file name for stdin",
                  "pick a name without '/', like \"dump.sql\"");
    return {"/" + *stdin_name};
  }
  if (paths.empty())
    throw Error(Code::usage, "nothing to back up", "name one or more paths, or use --stdin");
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::string normal = normalise_backup_path(p.native());
    if (std::find(out.begin(), out.end(), normal) == out.end()) out.push_back(std::move(normal));
  }
  return out;
}

} // namespace offsite::core
