#pragma once
// The embedded default store: one directory on a local disk. A key maps to a
// file path under the root. put writes a temporary file, fsyncs it, link()s
// it into place (link fails if the name exists: create-only for free), then
// fsyncs the directory. A put that throws leaves no object behind.

#include <filesystem>

#include "core/store/storage_faults.hpp"
#include "core/store/store.hpp"

namespace offsite::core {

class LocalStore : public Store {
public:
  // Creates the root directory if missing. `faults` (test-only, see
  // storage_faults.hpp) must outlive the store.
  explicit LocalStore(std::filesystem::path root,
                      StorageFaults& faults = StorageFaults::from_environment());

  bool put(std::string_view key, ByteView data) override;
  std::optional<Bytes> get(std::string_view key, std::uint64_t offset,
                           std::optional<std::uint64_t> length) override;
  std::optional<std::uint64_t> head(std::string_view key) override;
  ListPage list(std::string_view prefix, std::string_view start_after, std::size_t limit) override;
  bool remove(std::string_view key) override;

  const std::filesystem::path& root() const { return m_root; }

private:
  std::filesystem::path path_of(std::string_view key) const; // throws on invalid keys
  std::filesystem::path m_root;
  StorageFaults* m_faults;
};

} // namespace offsite::core
