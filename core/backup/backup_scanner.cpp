#include "core/backup/backup_scanner.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/backup/archiver_impl.hpp"
#include "core/backup/backup_paths.hpp"
#include "core/backup/dir_listing.hpp"

namespace offsite::core {

using archiver_detail::Fd;
using archiver_detail::join_path;

BackupScanner::BackupScanner(const BackupOptions& options)
    : m_excludes(options.excludes), m_markers(options.markers),
      m_one_file_system(options.one_file_system),
      m_thread([this, paths = backup_snapshot_paths(options.paths, std::nullopt)](
                   const std::stop_token& stop) { run(paths, stop); }) {}

void BackupScanner::run(const std::vector<std::string>& given, const std::stop_token& stop) {
  // Linux keeps a nice value per thread: only the scan gives way.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  // A path below another one given is covered by it, as in the archiver.
  std::vector<std::string> paths = given;
  std::sort(paths.begin(), paths.end());
  std::string covering;
  for (const auto& path : paths) {
    if (stop.stop_requested()) return;
    if (!covering.empty() &&
        (path == covering || path.rfind(covering == "/" ? covering : covering + "/", 0) == 0))
      continue;
    covering = path;
    if (path == "/") {
      Fd root(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      struct stat st {};
      if (root.valid() && ::fstat(root.get(), &st) == 0) scan_dir(root.get(), "/", st.st_dev, stop);
      continue;
    }
    // The directories above a given path are resolved as the kernel does
    // (following symlinks); search permission is enough, as in the archiver.
    const auto slash = path.rfind('/');
    const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    Fd dir(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (dir.valid()) scan_entry(dir.get(), path.substr(slash + 1), path, std::nullopt, stop);
  }
  m_done.store(true, std::memory_order_release);
}

void BackupScanner::scan_entry(int dir_fd, const std::string& name, const std::string& path,
                               std::optional<dev_t> root_dev, const std::stop_token& stop) {
  if (stop.stop_requested() || m_excludes.matches(path)) return;
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return; // the backup warns
  if (S_ISREG(st.st_mode)) count_file(static_cast<std::uint64_t>(st.st_size));
  if (!S_ISDIR(st.st_mode)) return;
  const dev_t dev = root_dev.value_or(st.st_dev);
  if (m_one_file_system && st.st_dev != dev) return; // a mount point: kept empty
  Fd fd(open_dir_to_list(dir_fd, name.c_str()));
  if (fd.valid()) scan_dir(fd.get(), path, dev, stop);
}

void BackupScanner::scan_dir(int dir_fd, const std::string& path, dev_t root_dev,
                             const std::stop_token& stop) {
  int err = 0; // the backup warns about a listing cut short
  const std::vector<std::string> names = list_backup_names(dir_fd, m_markers, err);
  for (const auto& name : names)
    scan_entry(dir_fd, name, join_path(path, name), root_dev, stop);
}

void BackupScanner::count_file(std::uint64_t size) {
  m_files.fetch_add(1, std::memory_order_relaxed);
  m_bytes.fetch_add(size, std::memory_order_relaxed);
}

} // namespace offsite::core
