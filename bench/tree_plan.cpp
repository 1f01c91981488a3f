// Planning a benchmark tree (tree_plan.hpp).
//
// The recipe, in shares of the requested size:
// - 40% text-like (code and logs, zstd -3 about 3.5-4x), 1 KiB to 32 MiB,
//   including two versions of a text dump that differ in a few places;
// - 40% incompressible binaries, 4 KiB to 64 MiB, including three versions
//   of a disk image that share most of their bytes (edits, an insertion
//   that shifts everything after it, an append), the case where
//   content-defined chunking earns its keep;
// - 20% small files of 100 B to 16 KiB (thousands of them: metadata cost);
// - in each share ~4% exact duplicates of other files, under other names;
// - nested directories (up to 8 deep) and symlinks to files, to
//   directories and to nothing.
// Sizes are log-uniform, as file-size surveys find for real trees.
#include "bench/tree_plan.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_set>

#include "bench/prng.hpp"
#include "bench/text.hpp"

namespace offsite::bench {

namespace {

constexpr std::uint64_t k_kib = 1024;
constexpr std::uint64_t k_mib = 1024 * k_kib;
constexpr double k_duplicate_share = 0.04;
constexpr std::size_t k_max_depth = 8;

constexpr std::array<std::string_view, 9> k_code_extensions = {
    ".c", ".h", ".cpp", ".py", ".md", ".txt", ".json", ".go", ".html"};
constexpr std::array<std::string_view, 8> k_binary_extensions = {".bin", ".dat", ".jpg", ".png",
                                                                 ".gz",  ".zst", ".pdf", ".o"};

enum class Root : std::size_t { projects, logs, media, images, home, count };
constexpr std::array<std::string_view, 5> k_root_names = {"projects", "logs", "media", "images",
                                                          "home"};

struct Dir {
  std::string path;
  std::size_t depth;
};

class Planner {
public:
  Planner(std::uint64_t seed, std::uint64_t size) : m_rng(mix_seed(seed, 1)), m_seed(seed) {
    m_budget_text = size * 2 / 5;
    m_budget_binary = size * 2 / 5;
    m_budget_small = size - m_budget_text - m_budget_binary;
    for (std::size_t r = 0; r < k_root_names.size(); ++r) {
      m_plan.dirs.emplace_back(k_root_names[r]);
      m_dirs[r].push_back({std::string(k_root_names[r]), 1});
    }
  }

  TreePlan run() {
    plan_text();
    plan_binaries();
    plan_small();
    plan_links();
    return std::move(m_plan);
  }

private:
  std::uint64_t next_stream_seed() { return mix_seed(m_seed, 1000 + m_streams++); }

  // A directory under `root`: a new one now and then, so directories hold
  // a few dozen entries on average and nest several levels deep.
  const Dir& pick_dir(Root root) {
    auto& dirs = m_dirs[static_cast<std::size_t>(root)];
    if (dirs.size() < 3 || m_rng.chance(0.06)) {
      const Dir parent = dirs[m_rng.below(dirs.size())];
      if (parent.depth < k_max_depth) {
        const std::string path = unique_path(parent.path + "/" + std::string(word()), "");
        m_plan.dirs.push_back(path);
        dirs.push_back({path, parent.depth + 1});
        return dirs.back();
      }
    }
    return dirs[m_rng.below(dirs.size())];
  }

  std::string_view word() { return text_source().word(m_rng); }

  std::string unique_path(const std::string& stem, std::string_view extension) {
    std::string path = stem + std::string(extension);
    for (unsigned n = 2; !m_used.insert(path).second; ++n) {
      path = stem + "-" + std::to_string(n) + std::string(extension);
    }
    return path;
  }

  std::string file_path(Root root, std::string_view extension) {
    std::string stem = pick_dir(root).path + "/" + std::string(word());
    if (m_rng.chance(0.3)) stem += "_" + std::string(word());
    return unique_path(stem, extension);
  }

  PlannedFile& add_file(std::string path, Content content, unsigned mode = 0644) {
    m_plan.files.push_back({std::move(path), std::move(content), mode});
    return m_plan.files.back();
  }

  // Exact copies of earlier files [first, end) under new names in `root`,
  // up to `budget` bytes. Returns the bytes planned.
  std::uint64_t plan_duplicates(std::size_t first, Root root, std::uint64_t budget) {
    std::uint64_t planned = 0;
    const std::size_t end = m_plan.files.size();
    for (int misses = 0; end > first && misses < 20;) {
      const PlannedFile& original = m_plan.files[first + m_rng.below(end - first)];
      const std::uint64_t size = original.content.size();
      if (planned + size > budget) {
        ++misses;
        continue;
      }
      // Copies, because add_file may move `original`.
      const std::string name = original.path.substr(original.path.rfind('/') + 1);
      Content content = original.content;
      const unsigned mode = original.mode;
      add_file(unique_path(pick_dir(root).path + "/copy-of-" + name, ""), std::move(content), mode);
      planned += size;
    }
    m_plan.duplicate_bytes += planned;
    return planned;
  }

  void plan_text() {
    std::uint64_t left = m_budget_text;
    const std::size_t first = m_plan.files.size();
    // Two versions of a text dump: a handful of rows changed, some added.
    const std::uint64_t dump_size = std::min(left / 10, 32 * k_mib);
    if (dump_size >= 64 * k_kib) {
      const std::string dir = pick_dir(Root::home).path + "/";
      Content v1 = single_piece(StreamKind::code, next_stream_seed(), dump_size);
      Content v2 = v1;
      for (int edit = 0; edit < 4; ++edit) {
        const std::uint64_t length = std::max<std::uint64_t>(512, dump_size / 400);
        const std::uint64_t at = m_rng.below(v2.size() - length);
        v2 = v2.replaced(at, length, {StreamKind::code, next_stream_seed(), 0, length * 3 / 2});
      }
      left -= std::min(left, v1.size() + v2.size());
      m_plan.shared_version_bytes += v2.size();
      add_file(unique_path(dir + "dump-2024-01-01", ".sql"), std::move(v1));
      add_file(unique_path(dir + "dump-2024-01-02", ".sql"), std::move(v2));
    }
    const std::uint64_t duplicates =
        static_cast<std::uint64_t>(static_cast<double>(left) * k_duplicate_share);
    const std::uint64_t max_size =
        std::clamp<std::uint64_t>(m_budget_text / 16, 64 * k_kib, 32 * k_mib);
    for (std::uint64_t own = left - duplicates; own >= k_kib;) {
      const std::uint64_t size = std::min(own, m_rng.log_uniform(k_kib, max_size));
      own -= size;
      left -= size;
      if (m_rng.chance(0.35)) {
        add_file(file_path(Root::logs, ".log"),
                 single_piece(StreamKind::log, next_stream_seed(), size));
      } else {
        const auto extension = k_code_extensions[m_rng.below(k_code_extensions.size())];
        const unsigned mode = m_rng.chance(0.05) ? 0755 : 0644;
        add_file(file_path(Root::projects, extension),
                 single_piece(StreamKind::code, next_stream_seed(), size), mode);
      }
    }
    left -= std::min(left, plan_duplicates(first, Root::home, left));
    m_plan.text_bytes = m_budget_text - left;
  }

  void plan_binaries() {
    std::uint64_t left = m_budget_binary;
    const std::size_t first = m_plan.files.size();
    // Three versions of a disk image: v2 overwrites a few regions and
    // inserts 4 KiB (shifting all later bytes), v3 edits v2 and grows.
    const std::uint64_t image_size = std::min(left / 12, 64 * k_mib);
    if (image_size >= 64 * k_kib) {
      const std::string dir = pick_dir(Root::images).path + "/";
      Content version = single_piece(StreamKind::random, next_stream_seed(), image_size);
      for (int v = 1; v <= 3; ++v) {
        if (v > 1) {
          for (int edit = 0; edit < 3; ++edit) {
            const std::uint64_t length = std::max<std::uint64_t>(4 * k_kib, image_size / 100);
            const std::uint64_t at = m_rng.below(version.size() - length);
            version =
                version.replaced(at, length, {StreamKind::random, next_stream_seed(), 0, length});
          }
          const std::uint64_t grow = v == 2 ? 4 * k_kib : image_size / 20;
          const std::uint64_t at = v == 2 ? m_rng.below(version.size()) : version.size();
          version = version.replaced(at, 0, {StreamKind::random, next_stream_seed(), 0, grow});
          m_plan.shared_version_bytes += version.size();
        }
        left -= std::min(left, version.size());
        add_file(unique_path(dir + "disk-v" + std::to_string(v), ".img"), version);
      }
    }
    const std::uint64_t duplicates =
        static_cast<std::uint64_t>(static_cast<double>(left) * k_duplicate_share);
    const std::uint64_t max_size =
        std::clamp<std::uint64_t>(m_budget_binary / 4, 4 * k_kib, 64 * k_mib);
    for (std::uint64_t own = left - duplicates; own >= 4 * k_kib;) {
      const std::uint64_t size = std::min(own, m_rng.log_uniform(4 * k_kib, max_size));
      own -= size;
      left -= size;
      const auto extension = k_binary_extensions[m_rng.below(k_binary_extensions.size())];
      add_file(file_path(m_rng.chance(0.7) ? Root::media : Root::home, extension),
               single_piece(StreamKind::random, next_stream_seed(), size));
    }
    left -= std::min(left, plan_duplicates(first, Root::home, left));
    m_plan.binary_bytes = m_budget_binary - left;
  }

  void plan_small() {
    std::uint64_t left = m_budget_small;
    const std::size_t first = m_plan.files.size();
    const std::uint64_t duplicates =
        static_cast<std::uint64_t>(static_cast<double>(left) * k_duplicate_share);
    for (std::uint64_t own = left - duplicates; own >= 100;) {
      const std::uint64_t size = std::min(own, m_rng.log_uniform(100, 16 * k_kib));
      own -= size;
      left -= size;
      const Root root = m_rng.chance(0.6) ? Root::projects : Root::home;
      if (m_rng.chance(0.6)) {
        const auto extension = k_code_extensions[m_rng.below(k_code_extensions.size())];
        add_file(file_path(root, extension),
                 single_piece(StreamKind::code, next_stream_seed(), size));
      } else {
        const auto extension = k_binary_extensions[m_rng.below(k_binary_extensions.size())];
        add_file(file_path(root, extension),
                 single_piece(StreamKind::random, next_stream_seed(), size));
      }
    }
    left -= std::min(left, plan_duplicates(first, Root::projects, left));
    m_plan.small_bytes = m_budget_small - left;
  }

  // About one symlink per 200 files: 70% to files, 20% to directories,
  // 10% dangling, all relative (as in real trees, so they survive a move).
  void plan_links() {
    const std::size_t count = std::max<std::size_t>(3, m_plan.files.size() / 200);
    const std::size_t real_files = m_plan.files.size();
    const std::size_t real_dirs = m_plan.dirs.size();
    for (std::size_t i = 0; i < count; ++i) {
      const Root root = static_cast<Root>(m_rng.below(static_cast<std::uint64_t>(Root::count)));
      const Dir& dir = pick_dir(root);
      std::string up;
      for (std::size_t d = 0; d < dir.depth; ++d)
        up += "../";
      const double kind = m_rng.uniform();
      std::string target;
      if (kind < 0.7 && real_files > 0) {
        target = up + m_plan.files[m_rng.below(real_files)].path;
      } else if (kind < 0.9) {
        target = up + m_plan.dirs[m_rng.below(real_dirs)];
      } else {
        target = up + "gone/" + std::string(word());
      }
      m_plan.links.push_back({unique_path(dir.path + "/link-" + std::string(word()), ""), target});
    }
  }

  Xoshiro256 m_rng;
  std::uint64_t m_seed;
  std::uint64_t m_streams = 0;
  std::uint64_t m_budget_text = 0;
  std::uint64_t m_budget_binary = 0;
  std::uint64_t m_budget_small = 0;
  std::array<std::vector<Dir>, static_cast<std::size_t>(Root::count)> m_dirs;
  std::unordered_set<std::string> m_used;
  TreePlan m_plan;
};

} // namespace

TreePlan plan_tree(std::uint64_t seed, std::uint64_t size) { return Planner(seed, size).run(); }

} // namespace offsite::bench
