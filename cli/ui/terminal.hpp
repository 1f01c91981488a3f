#pragma once
// Everything the user or a script sees goes through here: human text and
// progress on stderr, results on stdout, and with --json nothing but JSON on
// stdout. Progress is drawn only on a terminal, so cron stays silent.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/global_options.hpp"
#include "util/printable.hpp"

namespace offsite::cli {

constexpr int k_json_schema_version = 1;

class Terminal {
public:
  explicit Terminal(const GlobalOptions& options);
  ~Terminal();

  bool json() const { return m_json; }
  bool quiet() const { return m_quiet; }
  int verbosity() const { return m_verbose; }
  bool stdout_is_tty() const { return m_stdout_tty; }

  // Human result text (tables, listings) on stdout; suppressed in JSON mode.
  void out(std::string_view text);
  // Informational line on stderr, on a terminal or with -v; never with
  // --quiet or --json.
  void info(std::string_view text);
  // Only with -v.
  void detail(std::string_view text);
  // Always shown on stderr; with --json also a warning event on stdout, but
  // only for commands that stream JSON Lines (see stream_events), so that
  // the others print exactly one document.
  void warning(std::string_view text);
  // Called by long-running commands (backup, restore) that emit JSON Lines.
  void stream_events() { m_streaming = true; }

  // One JSON object on its own line of stdout; adds "schema" if missing.
  void emit(nlohmann::json object);

  // Live progress line (stderr, terminal only, at most 4 per second, clipped
  // to the terminal's width).
  bool progress_enabled() const { return m_progress; }
  // True when progress() would draw now, so callers called for every block
  // read can skip formatting a line that would be dropped.
  bool progress_due() const;
  void progress(std::string_view line);
  void clear_progress();

  // True at most every `interval`: throttles JSON status events.
  bool status_due(std::chrono::milliseconds interval);

private:
  bool m_json;
  bool m_quiet;
  int m_verbose;
  bool m_progress;
  bool m_stdout_tty;
  bool m_streaming = false;
  bool m_stderr_tty;
  bool m_progress_shown = false;
  std::chrono::steady_clock::time_point m_last_progress{};
  std::chrono::steady_clock::time_point m_last_status{};
};

// "1.5 GiB", "512 B"
std::string format_bytes(std::uint64_t bytes);
// "1:02:03", "42s"
std::string format_duration(double seconds);
// "1 file", "3 files": `noun` with an English plural "s" unless n is 1.
std::string count_of(std::uint64_t n, std::string_view noun);
// Untrusted text is shown by the one rule of util/printable.hpp, so a hostile
// name cannot drive the terminal; the client's code names it unqualified.
using util::join_printable;
using util::printable;

} // namespace offsite::cli
