// Pattern matching for --exclude / --include.
//
// Every pattern is split at '/' into components and compiled to the form
// "the pattern matches a leading run of the path's components": an absolute
// pattern as written, a relative one (with or without '/') behind an implicit
// "**" so it may start at any component. Matching a leading run rather than
// the whole path is what makes a matched directory exclude everything below
// it. Within a component fnmatch(3) handles '*', '?' and '[...]'; a component
// that is exactly "**" matches zero or more components.
//
// The matcher is a set-of-states automaton over pattern positions (like a
// Thompson NFA), so patterns with several "**" cost O(|pattern| * |path|)
// instead of backtracking exponentially.

#include "core/backup/exclude.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>

#include "core/common/error.hpp"

namespace offsite::core {

namespace {

constexpr std::string_view k_globstar = "**";
constexpr std::string_view k_cachedir_signature = "Signature: 8a477f597d28d172789f06886806bc55";

std::vector<std::string> split_components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    if (!part.empty() && part != ".") out.emplace_back(part);
    pos = slash + 1;
  }
  return out;
}

bool component_matches(const std::string& pattern, const std::string& name, bool ignore_case) {
  return fnmatch(pattern.c_str(), name.c_str(), ignore_case ? FNM_CASEFOLD : 0) == 0;
}

// States are positions in the pattern; `states[i]` means components
// pattern[0..i) have matched the path so far.
void close_over_globstars(const std::vector<std::string>& pattern, std::vector<char>& states) {
  for (std::size_t i = 0; i < pattern.size(); ++i)
    if (states[i] && pattern[i] == k_globstar) states[i + 1] = 1;
}

enum class Outcome { matched, alive, dead };

// `whole`: the pattern must consume every component of the path, not only
// a leading run of them.
Outcome run(const std::vector<std::string>& pattern, bool ignore_case,
            const std::vector<std::string>& path, bool whole = false) {
  const std::size_t end = pattern.size();
  std::vector<char> states(end + 1, 0);
  std::vector<char> next(end + 1, 0);
  states[0] = 1;
  close_over_globstars(pattern, states);
  for (const auto& name : path) {
    if (states[end] && !whole) return Outcome::matched;
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (std::size_t i = 0; i < end; ++i) {
      if (!states[i]) continue;
      if (pattern[i] == k_globstar) {
        next[i] = 1;
        any = true;
      } else if (component_matches(pattern[i], name, ignore_case)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return Outcome::dead;
    states.swap(next);
    close_over_globstars(pattern, states);
  }
  return states[end] ? Outcome::matched : Outcome::alive;
}

bool starts_with_signature(int fd) {
  std::array<char, k_cachedir_signature.size()> buf{};
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got == buf.size() && std::string_view(buf.data(), buf.size()) == k_cachedir_signature;
}

bool tag_in(int dir_fd, const char* tag_path) {
  // Check the type before opening: opening a FIFO or a device named
  // CACHEDIR.TAG could block or have side effects (a tape rewinds).
  struct stat st {};
  if (::fstatat(dir_fd, tag_path, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
    return false;
  int fd = ::openat(dir_fd, tag_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && starts_with_signature(fd);
  ::close(fd);
  return ok;
}

} // namespace

void PathMatcher::add_pattern(std::string pattern, bool ignore_case) {
  std::vector<std::string> parts = split_components(pattern);
  // "" or "/" would exclude everything; treat them as no pattern at all.
  if (parts.empty()) return;
  if (pattern.front() != '/') parts.insert(parts.begin(), std::string(k_globstar));
  m_compiled.push_back({std::move(parts), ignore_case});
  m_patterns.push_back(std::move(pattern));
}

void PathMatcher::add_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error(Code::usage,
                "cannot read the pattern file " + file.string() + ": " + std::strerror(errno),
                "check the path given to --exclude-file");
  std::string line;
  while (std::getline(in, line)) {
    // Trim surrounding blanks (and a CR from files written on Windows).
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    auto last = line.find_last_not_of(" \t\r");
    line = line.substr(first, last - first + 1);
    if (line.front() == '#') continue;
    add_pattern(line);
  }
  if (in.bad())
    throw Error(Code::usage, "cannot read the pattern file " + file.string(),
                "check the path given to --exclude-file");
}

bool PathMatcher::matches(std::string_view path) const {
  if (m_compiled.empty()) return false;
  std::vector<std::string> parts = split_components(path);
  return std::any_of(m_compiled.begin(), m_compiled.end(), [&](const Compiled& p) {
    return run(p.parts, p.ignore_case, parts) == Outcome::matched;
  });
}

bool PathMatcher::matches_whole(std::string_view path) const {
  if (m_compiled.empty()) return false;
  std::vector<std::string> parts = split_components(path);
  return std::any_of(m_compiled.begin(), m_compiled.end(), [&](const Compiled& p) {
    return run(p.parts, p.ignore_case, parts, true) == Outcome::matched;
  });
}

bool PathMatcher::may_match_below(std::string_view dir) const {
  if (m_compiled.empty()) return false;
  std::vector<std::string> parts = split_components(dir);
  return std::any_of(m_compiled.begin(), m_compiled.end(), [&](const Compiled& p) {
    return run(p.parts, p.ignore_case, parts) != Outcome::dead;
  });
}

bool is_cachedir_tag(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = is_cachedir_tag_at(fd);
  ::close(fd);
  return ok;
}

bool is_cachedir_tag_at(int dir_fd) {
  return tag_in(dir_fd, std::string(k_cachedir_tag_name).c_str());
}

} // namespace offsite::core
