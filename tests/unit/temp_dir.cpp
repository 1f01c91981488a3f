#include "tests/unit/temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace offsite::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "offsite-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Tests may leave read-only dirs behind; make them writable so removal works.
  for (auto it = std::filesystem::recursive_directory_iterator(m_path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
  }
  std::filesystem::remove_all(m_path, ec);
}

} // namespace offsite::test
