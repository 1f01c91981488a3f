#pragma once
// Test-only fault injection into the local store's system calls (README,
// "Test-only hooks"): the seam that lets a test make the Nth fsync of a
// running offsited fail and then check that nothing half-stored is visible.
//
// OFFSITE_TEST_FAULT=OP:N[+][:ERRNO][,...] makes the Nth call of OP in the
// process fail with ERRNO (EIO unless ENOSPC is named), once; with "+" the
// Nth and every later call. OP is one of open, write, fsync (files), dirsync
// (directories), rename (the link that gives an object its name) and mkdir.
// Unset (every real use), nothing is ever injected.
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace offsite::core {

enum class StorageOp : std::uint8_t { open, write, fsync, dirsync, rename, mkdir };

class StorageFaults {
public:
  // The rules of `spec` in the syntax above; a malformed rule is ignored
  // (it arms nothing rather than failing somewhere a test did not ask for).
  explicit StorageFaults(std::string_view spec);

  // The process's faults, from OFFSITE_TEST_FAULT (read once, at the first call).
  static StorageFaults& from_environment();

  // Counts this call of `op` and returns the errno to fail it with, or 0 to
  // let it run. Thread-safe, never blocks.
  [[nodiscard]] int inject(StorageOp op);

private:
  static constexpr std::size_t k_ops = 6;
  struct Rule {
    long call = 0;          // 0: no rule for this operation
    bool and_later = false; // N+: every call from the Nth on
    int error = 0;
  };
  void add_rule(std::string_view text);
  std::array<Rule, k_ops> m_rules{};
  std::array<std::atomic<long>, k_ops> m_calls{};
};

} // namespace offsite::core
