#pragma once
// '/'-separated paths as text (snapshot paths, walked paths): no file system
// is touched, so a library that never sees a file tree may use them too.

#include <string>
#include <string_view>

namespace offsite::util {

// `name` inside `dir` with exactly one '/' between them; "" is the root:
// ("/", "a") -> "/a", ("/a", "b") -> "/a/b", ("", "a") -> "/a".
std::string join_path(std::string_view dir, std::string_view name);

} // namespace offsite::util
