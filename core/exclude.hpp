#pragma once
// Glob patterns for --exclude / --include, as restic users know them:
//   a pattern without '/' matches any path component ("*.tmp", "node_modules");
//   a pattern with '/' matches the whole absolute path, or, when it does not
//   start with '/', any trailing run of components ("cache/*.bin");
//   '*' and '?' and '[...]' stay within one component, '**' spans several.
// A directory that matches is excluded with everything below it.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offsite::core {

class PathMatcher {
public:
  void add_pattern(std::string pattern);
  // One pattern per line; blank lines and lines starting with '#' are
  // skipped. Throws Error(usage) when the file cannot be read.
  void add_file(const std::filesystem::path& file);

  bool empty() const { return m_patterns.empty(); }
  const std::vector<std::string>& patterns() const { return m_patterns; }

  // `path` is absolute ("/home/a/x.tmp").
  bool matches(std::string_view path) const;

  // For includes: true when `dir` could contain a match, so the walker must
  // descend into it even though it does not match itself.
  bool may_match_below(std::string_view dir) const;

private:
  std::vector<std::string> m_patterns;
};

// The CACHEDIR.TAG signature (https://bford.info/cachedir/).
bool is_cachedir_tag(const std::filesystem::path& dir);

} // namespace offsite::core
