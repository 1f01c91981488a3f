#pragma once
// The progress of every long command (backup, restore, check, prune): the
// terminal line and the JSON status event are made here, so rate, ETA and
// the status fields read the same in every command. The commands' reporters
// only say what their line shows.
//
//   [0:12] 37.5% 3 of 8 files, 60.0 MiB / 160.0 MiB, 5.0 MiB/s ETA 0:20  PATH
//   {"type":"status","seconds_elapsed":12.0,...}

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/ui/terminal.hpp"

namespace offsite::cli {

// Bytes per second over `seconds`; 0 before any time has passed.
double byte_rate(std::uint64_t bytes, double seconds);
// "5.0 MiB/s"
std::string rate_text(double rate);
// " ETA 0:20" when `rate` allows an estimate of what is left, else "". None
// in the first k_eta_min_seconds nor before k_eta_min_percent of the work:
// a start on cached or small files gave "ETA 0s" at 16 % of a 10 s backup.
inline constexpr double k_eta_min_seconds = 3.0;
inline constexpr double k_eta_min_percent = 2.0;
std::string eta_text(std::uint64_t done, std::uint64_t total, double rate, double seconds);

// The byte rate a progress line shows and its ETA divides by: the plain
// average over the first k_rate_warmup_seconds, then exponentially weighted
// (time constant k_rate_window_seconds), so it follows the recent speed and
// forgets a fast start. A pure function of the samples it is given (calls in
// increasing `seconds`), so tests feed it times.
class SmoothedRate {
public:
  static constexpr double k_rate_warmup_seconds = 2.0;
  static constexpr double k_rate_window_seconds = 5.0;
  // The rate once `bytes` are done `seconds` after the start.
  double update(double seconds, std::uint64_t bytes);

private:
  double m_rate = 0;
  double m_seconds = 0;
  std::uint64_t m_bytes = 0;
};
// 100 * done / total; `when_empty` when nothing is to be done.
double percent_of(std::uint64_t done, std::uint64_t total, double when_empty);

// The status fields of a command that runs in phases (check, prune), so a
// script reads their progress the same way. `progress` is a
// core::CheckProgress or core::PruneProgress.
template <typename PhaseProgress>
nlohmann::json phase_fields(std::string_view phase, const PhaseProgress& progress) {
  return {{"phase", phase},
          {"done", progress.done},
          {"total", progress.total},
          {"bytes_done", progress.bytes_done},
          {"bytes_total", progress.bytes_total}};
}

// One command's progress output. Not thread-safe: called from the thread
// the core reporter's callbacks come from.
class ProgressOutput {
public:
  explicit ProgressOutput(Terminal& terminal)
      : m_terminal(terminal), m_start(std::chrono::steady_clock::now()) {}

  // Seconds since the command started.
  double seconds() const;
  // "[0:12]": how every line starts.
  std::string elapsed() const;
  // The smoothed rate (SmoothedRate) now that `bytes` are done.
  double rate(std::uint64_t bytes) { return m_rate.update(seconds(), bytes); }
  // eta_text() at this moment.
  std::string eta(std::uint64_t done, std::uint64_t total, double bytes_per_second) const {
    return eta_text(done, total, bytes_per_second, seconds());
  }

  // Draws the line `make_line()` returns, calling it only when a line is due
  // (progress is drawn on a terminal, at most 4 times a second).
  template <typename MakeLine> void draw(MakeLine&& make_line) {
    if (m_terminal.progress_due()) m_terminal.progress(make_line());
  }
  // With --json, at most every 500 ms: {"type": "status", "seconds_elapsed":
  // seconds()} and the object `make_fields()` returns.
  template <typename MakeFields> void status(MakeFields&& make_fields) {
    if (m_terminal.json() && m_terminal.status_due(k_status_interval)) emit_status(make_fields());
  }
  // A file the command could not handle: a JSON warning event, or a line on
  // stderr naming the path printably.
  void warning(const std::string& path, const std::string& message);

private:
  static constexpr std::chrono::milliseconds k_status_interval{500};
  void emit_status(nlohmann::json fields);

  Terminal& m_terminal;
  std::chrono::steady_clock::time_point m_start;
  SmoothedRate m_rate;
};

} // namespace offsite::cli
