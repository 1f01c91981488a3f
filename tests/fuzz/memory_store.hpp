#pragma once
// A Store in memory and a repository in it, opened with the test key, for
// the targets that fuzz how the repository opens its sealed objects (index
// files, snapshots) and for the corpus generator that writes them.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/repo/repository.hpp"
#include "core/store/store.hpp"
#include "tests/fuzz/test_key.hpp"

namespace offsite::fuzz {

class MemoryStore final : public core::Store {
public:
  bool put(std::string_view key, ByteView data) override {
    std::lock_guard lock(m_mutex);
    return m_objects.try_emplace(std::string(key), data.begin(), data.end()).second;
  }
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override {
    std::lock_guard lock(m_mutex);
    const auto it = m_objects.find(std::string(key));
    if (it == m_objects.end()) return std::nullopt;
    const auto& bytes = it->second;
    const std::uint64_t from = std::min<std::uint64_t>(offset, bytes.size());
    const std::uint64_t count =
        std::min<std::uint64_t>(length.value_or(bytes.size()), bytes.size() - from);
    return Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(from),
                 bytes.begin() + static_cast<std::ptrdiff_t>(from + count));
  }
  std::optional<std::uint64_t> head(std::string_view key) override {
    std::lock_guard lock(m_mutex);
    const auto it = m_objects.find(std::string(key));
    if (it == m_objects.end()) return std::nullopt;
    return it->second.size();
  }
  core::ListPage list(std::string_view prefix, std::string_view start_after,
                      std::size_t limit) override {
    std::lock_guard lock(m_mutex);
    core::ListPage page;
    for (auto it = m_objects.upper_bound(std::string(start_after)); it != m_objects.end(); ++it) {
      if (!it->first.starts_with(prefix)) continue;
      if (page.objects.size() == limit) {
        page.truncated = true;
        break;
      }
      page.objects.push_back({it->first, it->second.size()});
    }
    return page;
  }
  bool remove(std::string_view key) override {
    std::lock_guard lock(m_mutex);
    return m_objects.erase(std::string(key)) > 0;
  }
  const std::map<std::string, Bytes>& objects() const { return m_objects; }

private:
  std::mutex m_mutex;
  std::map<std::string, Bytes> m_objects;
};

// A repository initialised in a MemoryStore with the test key (the cheapest
// scrypt parameters: the key file is never the point here).
struct TestRepository {
  MemoryStore store;
  std::unique_ptr<core::Repository> repo;

  TestRepository() {
    core::Repository::init(store, test_key(), "fuzz", core::crypto::ScryptParams{2, 1, 1});
    repo = std::make_unique<core::Repository>(store, test_key());
  }
};

} // namespace offsite::fuzz
