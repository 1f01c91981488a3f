// offsite-benchgen: the benchmark's deterministic test tree.
//   offsite-benchgen generate --seed N --size 200M DIR
//   offsite-benchgen mutate --seed N --percent 5 DIR
// Prints one line of JSON describing what it did, for bench/run.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>

#include "bench/mutate.hpp"
#include "bench/tree_plan.hpp"
#include "bench/tree_write.hpp"

namespace {

// "20M", "2G", "4096", "1.5G": binary units, as du and truncate read them.
std::uint64_t parse_size(const std::string& text) {
  std::size_t used = 0;
  const double number = std::stod(text, &used);
  const std::string unit = text.substr(used);
  double scale = 1;
  if (unit == "K" || unit == "KiB") {
    scale = 1024.0;
  } else if (unit == "M" || unit == "MiB") {
    scale = 1024.0 * 1024;
  } else if (unit == "G" || unit == "GiB") {
    scale = 1024.0 * 1024 * 1024;
  } else if (!unit.empty()) {
    throw std::invalid_argument("unknown size unit \"" + unit + "\" (use K, M or G)");
  }
  if (number <= 0) throw std::invalid_argument("the size must be positive");
  return static_cast<std::uint64_t>(number * scale);
}

int generate(std::uint64_t seed, const std::string& size_text, const std::string& dir) {
  const std::uint64_t size = parse_size(size_text);
  const offsite::bench::TreePlan plan = offsite::bench::plan_tree(seed, size);
  offsite::bench::write_tree(plan, dir);
  const nlohmann::json out = {{"type", "generated"},
                              {"seed", seed},
                              {"dir", dir},
                              {"bytes", plan.text_bytes + plan.binary_bytes + plan.small_bytes},
                              {"text_bytes", plan.text_bytes},
                              {"binary_bytes", plan.binary_bytes},
                              {"small_bytes", plan.small_bytes},
                              {"duplicate_bytes", plan.duplicate_bytes},
                              {"shared_version_bytes", plan.shared_version_bytes},
                              {"files", plan.files.size()},
                              {"dirs", plan.dirs.size() + 1},
                              {"symlinks", plan.links.size()}};
  fmt::print("{}\n", out.dump());
  return 0;
}

int mutate(std::uint64_t seed, double percent, const std::string& dir) {
  const auto r = offsite::bench::mutate_tree(dir, seed, percent);
  const nlohmann::json out = {{"type", "mutated"},
                              {"seed", seed},
                              {"dir", dir},
                              {"tree_bytes", r.tree_bytes},
                              {"changed_bytes", r.changed()},
                              {"changed_percent", r.tree_bytes == 0
                                                      ? 0.0
                                                      : 100.0 * static_cast<double>(r.changed()) /
                                                            static_cast<double>(r.tree_bytes)},
                              {"appended", r.appended},
                              {"edited", r.edited},
                              {"rewritten", r.rewritten},
                              {"created", r.created},
                              {"deleted", r.deleted},
                              {"files_changed", r.files_changed},
                              {"files_created", r.files_created},
                              {"files_deleted", r.files_deleted}};
  fmt::print("{}\n", out.dump());
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"offsite-benchgen: a deterministic, realistic file tree for benchmarks"};
  app.require_subcommand(1);
  std::uint64_t seed = 1;
  std::string size = "200M";
  double percent = 5;
  std::string dir;

  CLI::App* gen =
      app.add_subcommand("generate", "Write a new tree into DIR (must not exist, or be empty)");
  gen->add_option("--seed", seed, "Seed: the same seed and size give the same tree")->required();
  gen->add_option("--size", size, "Total bytes of regular files, e.g. 200M or 2G")->required();
  gen->add_option("dir", dir, "Directory to create")->required();

  CLI::App* mut = app.add_subcommand("mutate", "Change about PERCENT of the tree's bytes in place");
  mut->add_option("--seed", seed, "Seed: the same seed and tree give the same changes")->required();
  mut->add_option("--percent", percent, "Share of the bytes to change")->required();
  mut->add_option("dir", dir, "The tree")->required();

  CLI11_PARSE(app, argc, argv);
  try {
    if (gen->parsed()) return generate(seed, size, dir);
    return mutate(seed, percent, dir);
  } catch (const std::exception& e) {
    fmt::print(stderr, "offsite-benchgen: error: {}\n", e.what());
    return 1;
  }
}
