#pragma once
// Glob patterns for --exclude / --include, as restic users know them:
//   a pattern without '/' matches any path component ("*.tmp", "node_modules");
//   a pattern with '/' matches the whole absolute path, or, when it does not
//   start with '/', any trailing run of components ("cache/*.bin");
//   '*' and '?' and '[...]' stay within one component, '**' spans several.
// A directory that matches is excluded with everything below it.
// A pattern added with ignore_case (--iexclude) matches letters of either
// case (fnmatch's FNM_CASEFOLD: ASCII letters, as the C locale knows them).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offsite::core {

class PathMatcher {
public:
  void add_pattern(std::string pattern, bool ignore_case = false);
  // One pattern per line; blank lines and lines starting with '#' are
  // skipped. Throws Error(usage) when the file cannot be read.
  void add_file(const std::filesystem::path& file);

  bool empty() const { return m_patterns.empty(); }
  const std::vector<std::string>& patterns() const { return m_patterns; }

  // `path` is absolute ("/home/a/x.tmp").
  bool matches(std::string_view path) const;
  // The whole path, not a leading run: "/a/x.tmp" matches "*.tmp", its
  // child "/a/x.tmp/y" does not (find names the entries themselves).
  bool matches_whole(std::string_view path) const;

  // For includes: true when `dir` could contain a match, so the walker must
  // descend into it even though it does not match itself.
  bool may_match_below(std::string_view dir) const;

private:
  // A pattern split into components; relative patterns start with "**".
  struct Compiled {
    std::vector<std::string> parts;
    bool ignore_case = false;
  };
  std::vector<std::string> m_patterns;
  std::vector<Compiled> m_compiled;
};

// The CACHEDIR.TAG signature (https://bford.info/cachedir/): `dir` holds a
// regular file CACHEDIR.TAG that begins with the signature.
bool is_cachedir_tag(const std::filesystem::path& dir);
// The same for an open directory; never follows a symlink named CACHEDIR.TAG.
bool is_cachedir_tag_at(int dir_fd);

inline constexpr std::string_view k_cachedir_tag_name = "CACHEDIR.TAG";

} // namespace offsite::core
