#pragma once
// Runs a helper program (crontab, systemctl) without a shell and with a
// deadline, capturing what it prints.

#include <chrono>
#include <string>
#include <vector>

namespace offsite::cli {

struct ProcessResult {
  int exit_status = -1; // -1 when it could not start, was killed or timed out
  std::string out;
  std::string err;
  bool timed_out = false;
};

// argv[0] is looked up in PATH. stdin is /dev/null. After `timeout` the
// child (only it, by its PID) is killed. Never throws for the child's
// failures; the caller decides what a non-zero status means.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// True when `program` (a name looked up in PATH, or a path) can be run.
bool program_exists(const std::string& program);

} // namespace offsite::cli
