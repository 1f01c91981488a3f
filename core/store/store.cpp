#include "core/store/store.hpp"

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::core {

namespace {

// S3 limits keys to 1024 bytes and most filesystems limit a name to 255.
constexpr std::size_t k_max_key_size = 1024;
constexpr std::size_t k_max_segment_size = 255;
constexpr std::size_t k_list_page = 1000;

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

} // namespace

std::vector<ObjectInfo> list_all(Store& store, std::string_view prefix) {
  std::vector<ObjectInfo> out;
  std::string after;
  for (;;) {
    ListPage page = store.list(prefix, after, k_list_page);
    if (page.objects.empty()) break; // also guards against a store that never clears truncated
    after = page.objects.back().key;
    for (auto& o : page.objects)
      out.push_back(std::move(o));
    if (!page.truncated) break;
  }
  return out;
}

bool is_valid_key(std::string_view key) {
  if (key.empty() || key.size() > k_max_key_size) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = key.find('/', start);
    const std::string_view seg =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.size() > k_max_segment_size) return false;
    for (char c : seg)
      if (!is_key_char(c)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

PrefixStore::PrefixStore(Store& inner, std::string prefix)
    : m_inner(inner), m_prefix(std::move(prefix)) {
  if (m_prefix.size() < 2 || m_prefix.back() != '/' ||
      !is_valid_key(std::string_view(m_prefix).substr(0, m_prefix.size() - 1)))
    throw Error(
        Code::usage,
        fmt::format("invalid store prefix \"{}\"", util::printable(m_prefix, k_key_in_messages)),
        "a prefix is a valid key followed by '/'");
}

std::string PrefixStore::full(std::string_view key) const {
  if (!is_valid_key(key))
    throw Error(Code::usage,
                fmt::format("invalid object key \"{}\"", util::printable(key, k_key_in_messages)),
                "keys are '/'-separated names of [A-Za-z0-9._-]");
  std::string out = m_prefix;
  out += key;
  return out;
}

bool PrefixStore::put(std::string_view key, ByteView data) { return m_inner.put(full(key), data); }

bool PrefixStore::put_with_sha256(std::string_view key, ByteView data,
                                  std::string_view sha256_hex) {
  return m_inner.put_with_sha256(full(key), data, sha256_hex);
}

std::optional<Bytes> PrefixStore::get(std::string_view key, std::uint64_t offset,
                                      std::optional<std::uint64_t> length) {
  return m_inner.get(full(key), offset, length);
}

std::optional<std::uint64_t> PrefixStore::head(std::string_view key) {
  return m_inner.head(full(key));
}

ListPage PrefixStore::list(std::string_view prefix, std::string_view start_after,
                           std::size_t limit) {
  // The list prefix need not be a whole key ("data/a"), but it must not be
  // able to climb out of our prefix: only key characters are allowed.
  for (char c : prefix)
    if (!is_key_char(c) && c != '/')
      throw Error(Code::usage, fmt::format("invalid list prefix \"{}\"",
                                           util::printable(prefix, k_key_in_messages)));
  const std::string inner_prefix = m_prefix + std::string(prefix);
  const std::string inner_after =
      start_after.empty() ? std::string() : m_prefix + std::string(start_after);
  ListPage page = m_inner.list(inner_prefix, inner_after, limit);
  for (auto& o : page.objects)
    o.key.erase(0, m_prefix.size());
  return page;
}

bool PrefixStore::remove(std::string_view key) { return m_inner.remove(full(key)); }

} // namespace offsite::core
