#pragma once
// RAII scratch directory for one test case: created fresh, removed at the end.

#include <filesystem>

namespace offsite::test {

class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::filesystem::path& sub) const { return m_path / sub; }

private:
  std::filesystem::path m_path;
};

} // namespace offsite::test
