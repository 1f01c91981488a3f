// Writing a planned tree (tree_write.hpp).
#include "bench/tree_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "bench/fs_util.hpp"

namespace offsite::bench {

namespace {

void write_file(ContentReader& reader, const PlannedFile& file, const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail_errno("cannot create", path);
  try {
    reader.for_each_slice(file.content,
                          [&](std::span<const char> data) { write_all(fd, data, path); });
    if (::fchmod(fd, file.mode) != 0) fail_errno("cannot chmod", path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) fail_errno("cannot close", path);
}

} // namespace

void write_tree(const TreePlan& plan, const std::string& root) {
  namespace fs = std::filesystem;
  if (fs::exists(root)) {
    if (!fs::is_directory(root) || !fs::is_empty(root)) {
      throw std::runtime_error(root + " exists and is not an empty directory");
    }
  } else {
    make_dir(root, 0755);
  }
  const std::string prefix = root + "/";
  for (const std::string& dir : plan.dirs)
    make_dir(prefix + dir, 0755);
  ContentReader reader;
  for (const PlannedFile& file : plan.files) {
    write_file(reader, file, prefix + file.path);
    set_times(prefix + file.path, k_tree_epoch);
  }
  for (const PlannedLink& link : plan.links) {
    const std::string path = prefix + link.path;
    if (::symlink(link.target.c_str(), path.c_str()) != 0)
      fail_errno("cannot create symlink", path);
    set_times(path, k_tree_epoch);
  }
  // Last: creating entries changed the directories' times.
  for (const std::string& dir : plan.dirs)
    set_times(prefix + dir, k_tree_epoch);
  set_times(root, k_tree_epoch);
}

} // namespace offsite::bench
