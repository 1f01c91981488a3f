#pragma once
// The machine's own limits for a backup of one tree: how fast it can read
// the tree from the page cache, MAC it (HMAC-SHA-256, offsite's chunk IDs),
// compress it (zstd) and seal it (AES-256-GCM), each on N threads. No backup
// tool can beat the slowest of these, so they frame the tools' figures.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace offsite::bench {

struct TreeFiles {
  std::vector<std::string> paths; // regular files, sorted
  std::vector<std::uint64_t> sizes;
  std::uint64_t bytes = 0;
};

TreeFiles list_files(const std::string& root);

// About `max_bytes` of the tree's contents in memory, cut the way a backup
// cuts them: a chunk per file, files over `chunk_size` in pieces of it; a
// fixed random choice of the chunks when the tree is bigger.
struct Sample {
  std::vector<char> bytes;
  std::vector<std::span<const char>> chunks;
};

Sample load_sample(const TreeFiles& files, std::uint64_t max_bytes, std::size_t chunk_size);

struct Throughput {
  std::uint64_t bytes = 0;
  double seconds = 0;
  double mb_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0; }
};

// Each runs `threads` threads for about `seconds` (the read at least one
// full pass over the tree, after an untimed pass that fills the cache).
Throughput measure_read(const TreeFiles& files, unsigned threads, double seconds);
Throughput measure_hmac(const Sample& sample, unsigned threads, double seconds);
// Also returns the compressed share of the input in *ratio (input/output).
Throughput measure_zstd(const Sample& sample, unsigned threads, double seconds, int level,
                        double* ratio);
Throughput measure_aead(const Sample& sample, unsigned threads, double seconds);

} // namespace offsite::bench
