// offsite-benchlimits: the machine's limit for backing up a tree.
//   offsite-benchlimits --tree DIR [--zstd-level 3] [--threads 2] [--seconds 3]
// Prints one JSON document: each stage's throughput (MB/s, 10^6 bytes) and
// the time it would need for the whole tree; the limit is the slowest stage.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <exception>
#include <string>

#include "bench/limits.hpp"

namespace {

nlohmann::json stage(const char* name, const char* what, const offsite::bench::Throughput& t,
                     std::uint64_t tree_bytes) {
  const double mb_per_s = t.mb_per_s();
  return {
      {"name", name},
      {"what", what},
      {"mb_per_s", mb_per_s},
      {"measured_bytes", t.bytes},
      {"measured_seconds", t.seconds},
      {"seconds_for_tree", mb_per_s > 0 ? static_cast<double>(tree_bytes) / 1e6 / mb_per_s : 0.0}};
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "offsite-benchlimits: how fast this machine can read, MAC, compress and seal a tree"};
  std::string tree;
  int level = 3;
  unsigned threads = 2;
  double seconds = 3;
  std::uint64_t sample_mib = 256;
  app.add_option("--tree", tree, "The tree to measure")->required()->check(CLI::ExistingDirectory);
  app.add_option("--zstd-level", level, "zstd level (offsite's default is 3)");
  app.add_option("--threads", threads, "Threads per stage")->check(CLI::Range(1U, 256U));
  app.add_option("--seconds", seconds, "About how long each stage runs")
      ->check(CLI::PositiveNumber);
  app.add_option("--sample-mib", sample_mib, "Tree bytes held in memory for the CPU stages")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  CLI11_PARSE(app, argc, argv);

  try {
    using namespace offsite::bench;
    const TreeFiles files = list_files(tree);
    // 1 MiB pieces: about offsite's average chunk (core/backup/chunker.cpp).
    const Sample sample = load_sample(files, sample_mib << 20, std::size_t{1} << 20);
    double zstd_ratio = 0;
    const nlohmann::json stages = nlohmann::json::array({
        stage("read", "read from page cache", measure_read(files, threads, seconds), files.bytes),
        stage("hmac", "HMAC-SHA-256", measure_hmac(sample, threads, seconds), files.bytes),
        stage("zstd", "zstd compression",
              measure_zstd(sample, threads, seconds, level, &zstd_ratio), files.bytes),
        stage("aead", "AES-256-GCM", measure_aead(sample, threads, seconds), files.bytes),
    });
    const nlohmann::json* slowest = &stages[0];
    double serial = 0;
    for (const auto& s : stages) {
      if (s["seconds_for_tree"].get<double>() > (*slowest)["seconds_for_tree"].get<double>())
        slowest = &s;
      serial += s["seconds_for_tree"].get<double>();
    }
    const nlohmann::json out = {
        {"type", "limits"},
        {"tree", tree},
        {"tree_bytes", files.bytes},
        {"tree_files", files.paths.size()},
        {"threads", threads},
        {"zstd_level", level},
        {"zstd_ratio", zstd_ratio},
        {"sample_bytes", sample.bytes.size()},
        {"stages", stages},
        {"limit", {{"stage", (*slowest)["name"]}, {"seconds", (*slowest)["seconds_for_tree"]}}},
        {"all_stages_seconds", serial}};
    fmt::print("{}\n", out.dump(2));
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "offsite-benchlimits: error: {}\n", e.what());
    return 1;
  }
}
