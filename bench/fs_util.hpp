#pragma once
// Small POSIX helpers shared by the generator and the mutator: they fail
// loudly (std::runtime_error naming the path and errno), since a benchmark
// on a half-written tree would measure nonsense.

#include <cstdint>
#include <ctime>
#include <span>
#include <string>

namespace offsite::bench {

// The fixed time every generated entry carries, so that two generations are
// identical including metadata: 2023-11-14 22:13:20 UTC.
constexpr std::time_t k_tree_epoch = 1'700'000'000;

[[noreturn]] void fail_errno(const std::string& what, const std::string& path);

void make_dir(const std::string& path, unsigned mode);
void write_all(int fd, std::span<const char> data, const std::string& path);
void pwrite_all(int fd, std::span<const char> data, std::uint64_t offset, const std::string& path);
void read_exact(int fd, std::span<char> out, std::uint64_t offset, const std::string& path);
// Sets mtime and atime; for a symlink, of the link itself.
void set_times(const std::string& path, std::time_t when);

} // namespace offsite::bench
