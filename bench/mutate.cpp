// Mutating a tree (mutate.hpp). The budget (percent of the regular files'
// bytes) is spent in this order, each step passing what it could not use to
// the next: 15% deleted files, 30% edits in the middle of files of 256 KiB
// and up (overwrites in binaries; insertions in text, which shift the rest
// of the file), 20% appends, 10% small files rewritten, and the rest in new
// files. Changed entries get the tree's newest time plus one day, as an edit
// would give them a newer time.
#include "bench/mutate.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <vector>

#include "bench/content.hpp"
#include "bench/fs_util.hpp"
#include "bench/prng.hpp"
#include "bench/text.hpp"

namespace offsite::bench {

namespace {

constexpr std::uint64_t k_kib = 1024;

struct FileInfo {
  std::string path;
  std::uint64_t size;
  bool gone = false;
  bool touched = false;
};

class Mutator {
public:
  Mutator(std::string root, std::uint64_t seed)
      : m_root(std::move(root)), m_rng(mix_seed(seed, 2)), m_seed(seed) {}

  MutationReport run(double percent) {
    scan();
    const auto total =
        static_cast<std::uint64_t>(static_cast<double>(m_report.tree_bytes) * percent / 100.0);
    std::uint64_t carry = delete_files(total * 15 / 100);
    carry = edit_files(total * 30 / 100 + carry);
    carry = append_files(total * 20 / 100 + carry);
    rewrite_small_files(total * 10 / 100 + carry);
    create_files(total - std::min(total, m_report.changed())); // the rest, and what the others left
    for (const std::string& dir : m_dirs_touched)
      set_times(dir, m_when);
    return m_report;
  }

private:
  void scan() {
    namespace fs = std::filesystem;
    std::time_t newest = k_tree_epoch;
    for (const auto& entry : fs::recursive_directory_iterator(m_root)) {
      struct stat st {};
      const std::string path = entry.path().string();
      if (::lstat(path.c_str(), &st) != 0) fail_errno("cannot stat", path);
      newest = std::max(newest, st.st_mtim.tv_sec);
      if (S_ISREG(st.st_mode)) {
        m_files.push_back({path, static_cast<std::uint64_t>(st.st_size)});
        m_report.tree_bytes += static_cast<std::uint64_t>(st.st_size);
      } else if (S_ISDIR(st.st_mode)) {
        m_dirs.push_back(path);
      }
    }
    // Directory order is the file system's; sorting makes the result depend
    // on the tree alone.
    std::sort(m_files.begin(), m_files.end(), [](auto& a, auto& b) { return a.path < b.path; });
    m_dirs.push_back(m_root);
    std::sort(m_dirs.begin(), m_dirs.end());
    m_when = newest + 86400;
  }

  std::vector<std::size_t> shuffled_files() {
    std::vector<std::size_t> order(m_files.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[m_rng.below(i)]);
    return order;
  }

  Piece fresh(StreamKind kind, std::uint64_t length) {
    return {kind, mix_seed(m_seed, 1'000'000 + m_streams++), 0, length};
  }

  // Text files get text, others random bytes, judged by their first bytes.
  StreamKind sniff(const FileInfo& file) {
    std::vector<char> head(static_cast<std::size_t>(std::min<std::uint64_t>(file.size, 512)));
    const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno("cannot open", file.path);
    read_exact(fd, head, 0, file.path);
    ::close(fd);
    const bool text = std::all_of(head.begin(), head.end(), [](char c) {
      return c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f);
    });
    if (!text) return StreamKind::random;
    return std::string_view(head.data(), head.size()).starts_with("2024-") ? StreamKind::log
                                                                           : StreamKind::code;
  }

  // Writes `piece` at `offset` of the open file.
  void write_piece(int fd, const Piece& piece, std::uint64_t offset, const std::string& path) {
    m_reader.for_each_slice(Content{{piece}}, [&](std::span<const char> data) {
      pwrite_all(fd, data, offset, path);
      offset += data.size();
    });
  }

  int open_file(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
    if (fd < 0) fail_errno("cannot open", path);
    return fd;
  }

  void finish_file(int fd, FileInfo& file) {
    if (::close(fd) != 0) fail_errno("cannot close", file.path);
    set_times(file.path, m_when);
    file.touched = true;
    ++m_report.files_changed;
  }

  std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

  std::uint64_t delete_files(std::uint64_t budget) {
    for (const std::size_t i : shuffled_files()) {
      FileInfo& file = m_files[i];
      if (budget < 100) break;
      if (file.size > budget) continue;
      if (::unlink(file.path.c_str()) != 0) fail_errno("cannot delete", file.path);
      file.gone = true;
      budget -= file.size;
      m_report.deleted += file.size;
      ++m_report.files_deleted;
      m_dirs_touched.insert(parent_of(file.path));
    }
    return budget;
  }

  std::uint64_t edit_files(std::uint64_t budget) {
    std::vector<std::size_t> big;
    for (std::size_t i = 0; i < m_files.size(); ++i) {
      if (!m_files[i].gone && m_files[i].size >= 256 * k_kib) big.push_back(i);
    }
    // Mostly the biggest files: databases, images, mailboxes change in place.
    std::stable_sort(big.begin(), big.end(),
                     [&](auto a, auto b) { return m_files[a].size > m_files[b].size; });
    for (std::size_t tries = 0; tries < big.size() && budget >= 4 * k_kib; ++tries) {
      FileInfo& file = m_files[big[m_rng.below(std::max<std::size_t>(1, big.size() / 4))]];
      if (file.touched) continue;
      const StreamKind kind = sniff(file);
      const int fd = open_file(file.path, O_RDWR);
      for (std::uint64_t region = m_rng.between(1, 4); region > 0 && budget >= 4 * k_kib;
           --region) {
        const std::uint64_t length =
            std::min(budget, m_rng.between(4 * k_kib, std::max(8 * k_kib, file.size / 64)));
        const std::uint64_t low = file.size / 10;
        const std::uint64_t high =
            file.size * 9 / 10 > low + length ? file.size * 9 / 10 - length : low;
        const std::uint64_t at = m_rng.between(low, high);
        if (kind == StreamKind::random) {
          write_piece(fd, fresh(kind, length), at, file.path);
        } else {
          // An insertion: `length` new bytes replace half as many old ones.
          const std::uint64_t removed = std::min(length / 2, file.size - at);
          std::vector<char> tail(static_cast<std::size_t>(file.size - at - removed));
          read_exact(fd, tail, at + removed, file.path);
          write_piece(fd, fresh(kind, length), at, file.path);
          pwrite_all(fd, tail, at + length, file.path);
          file.size = at + length + tail.size();
        }
        budget -= length;
        m_report.edited += length;
      }
      finish_file(fd, file);
    }
    return budget;
  }

  std::uint64_t append_files(std::uint64_t budget) {
    for (const std::size_t i : shuffled_files()) {
      FileInfo& file = m_files[i];
      if (budget < k_kib) break;
      if (file.gone || file.touched || file.size < 4 * k_kib) continue;
      const std::uint64_t length =
          std::min(budget, m_rng.between(k_kib, std::max(4 * k_kib, file.size / 8)));
      const int fd = open_file(file.path, O_WRONLY);
      write_piece(fd, fresh(sniff(file), length), file.size, file.path);
      file.size += length;
      budget -= length;
      m_report.appended += length;
      finish_file(fd, file);
    }
    return budget;
  }

  std::uint64_t rewrite_small_files(std::uint64_t budget) {
    for (const std::size_t i : shuffled_files()) {
      FileInfo& file = m_files[i];
      if (budget < 100) break;
      if (file.gone || file.touched || file.size >= 16 * k_kib || file.size == 0) continue;
      const std::uint64_t length =
          std::min(budget, m_rng.between(std::max<std::uint64_t>(100, file.size / 2),
                                         std::min(16 * k_kib, file.size * 2)));
      const StreamKind kind = sniff(file);
      const int fd = open_file(file.path, O_WRONLY | O_TRUNC);
      write_piece(fd, fresh(kind, length), 0, file.path);
      file.size = length;
      budget -= length;
      m_report.rewritten += length;
      finish_file(fd, file);
    }
    return budget;
  }

  void create_files(std::uint64_t budget) {
    while (budget >= 100) {
      const std::uint64_t length = std::min(
          budget,
          m_rng.log_uniform(100, std::max<std::uint64_t>(100, std::min(4096 * k_kib, budget))));
      const double pick = m_rng.uniform();
      const StreamKind kind =
          pick < 0.45 ? StreamKind::code : (pick < 0.65 ? StreamKind::log : StreamKind::random);
      const std::string_view extension =
          kind == StreamKind::code ? ".txt" : (kind == StreamKind::log ? ".log" : ".bin");
      const std::string& dir = m_dirs[m_rng.below(m_dirs.size())];
      const std::string stem = dir + "/new-" + std::string(text_source().word(m_rng));
      std::string path = stem + std::string(extension);
      struct stat st {};
      for (unsigned n = 2; ::lstat(path.c_str(), &st) == 0; ++n)
        path = stem + "-" + std::to_string(n) + std::string(extension);
      const int fd = open_file(path, O_WRONLY | O_CREAT | O_EXCL);
      if (::fchmod(fd, 0644) != 0) fail_errno("cannot chmod", path);
      write_piece(fd, fresh(kind, length), 0, path);
      if (::close(fd) != 0) fail_errno("cannot close", path);
      set_times(path, m_when);
      budget -= length;
      m_report.created += length;
      ++m_report.files_created;
      m_dirs_touched.insert(dir);
    }
  }

  std::string m_root;
  Xoshiro256 m_rng;
  std::uint64_t m_seed;
  std::uint64_t m_streams = 0;
  std::time_t m_when = k_tree_epoch;
  std::vector<FileInfo> m_files;
  std::vector<std::string> m_dirs;
  std::set<std::string> m_dirs_touched;
  ContentReader m_reader;
  MutationReport m_report;
};

} // namespace

MutationReport mutate_tree(const std::string& root, std::uint64_t seed, double percent) {
  if (!(percent > 0 && percent <= 100)) throw std::runtime_error("--percent must be in (0, 100]");
  if (!std::filesystem::is_directory(root)) throw std::runtime_error(root + " is not a directory");
  return Mutator(root, seed).run(percent);
}

} // namespace offsite::bench
