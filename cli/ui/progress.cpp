#include "cli/ui/progress.hpp"

#include <cmath>

#include <fmt/format.h>

namespace offsite::cli {

double byte_rate(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds : 0;
}

std::string rate_text(double rate) { return format_bytes(static_cast<std::uint64_t>(rate)) + "/s"; }

std::string eta_text(std::uint64_t done, std::uint64_t total, double rate, double seconds) {
  if (rate <= 0 || total <= done || seconds < k_eta_min_seconds ||
      percent_of(done, total, 100.0) < k_eta_min_percent)
    return "";
  return " ETA " + format_duration(static_cast<double>(total - done) / rate);
}

double SmoothedRate::update(double seconds, std::uint64_t bytes) {
  if (seconds <= k_rate_warmup_seconds) {
    m_rate = byte_rate(bytes, seconds);
  } else if (seconds > m_seconds) {
    const double step = seconds - m_seconds;
    const double recent = bytes >= m_bytes ? static_cast<double>(bytes - m_bytes) / step : 0;
    m_rate += (1 - std::exp(-step / k_rate_window_seconds)) * (recent - m_rate);
  } else {
    return m_rate;
  }
  m_seconds = seconds;
  m_bytes = bytes;
  return m_rate;
}

double percent_of(std::uint64_t done, std::uint64_t total, double when_empty) {
  return total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : when_empty;
}

double ProgressOutput::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
}

std::string ProgressOutput::elapsed() const { return "[" + format_duration(seconds()) + "]"; }

void ProgressOutput::warning(const std::string& path, const std::string& message) {
  if (m_terminal.json()) {
    m_terminal.clear_progress();
    m_terminal.emit({{"type", "warning"}, {"path", path}, {"message", message}});
    return;
  }
  m_terminal.warning(fmt::format("{}: {}", printable(path), message));
}

void ProgressOutput::emit_status(nlohmann::json fields) {
  fields["type"] = "status";
  fields["seconds_elapsed"] = seconds();
  m_terminal.emit(std::move(fields));
}

} // namespace offsite::cli
