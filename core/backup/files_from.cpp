#include "core/backup/files_from.hpp"

#include <glob.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/common/error.hpp"

namespace offsite::core {

namespace {

// glob(3) with GLOB_NOCHECK: the pattern itself when nothing matches.
void expand(const std::string& pattern, std::vector<std::string>& out) {
  glob_t found{};
  const int rc = ::glob(pattern.c_str(), GLOB_NOCHECK, nullptr, &found);
  if (rc != 0) {
    ::globfree(&found);
    out.push_back(pattern);
    return;
  }
  for (std::size_t i = 0; i < found.gl_pathc; ++i)
    out.emplace_back(found.gl_pathv[i]);
  ::globfree(&found);
}

} // namespace

std::vector<std::string> read_path_list(const std::string& file, ListStyle style,
                                        const std::string& flag) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error(Code::usage, "cannot read the list file " + file + ": " + std::strerror(errno),
                "check the path given to " + flag);
  std::vector<std::string> paths;
  std::string line;
  while (std::getline(in, line)) {
    if (style == ListStyle::verbatim) {
      if (!line.empty()) paths.push_back(line);
      continue;
    }
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    line = line.substr(first, last - first + 1);
    if (line.front() == '#') continue;
    expand(line, paths);
  }
  if (in.bad())
    throw Error(Code::usage, "cannot read the list file " + file,
                "check the path given to " + flag);
  return paths;
}

} // namespace offsite::core
