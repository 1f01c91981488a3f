#pragma once
// The JSON "status" event of a command that runs in phases (check, prune):
// one shape for both, so a script reads their progress the same way.

#include <string_view>

#include <nlohmann/json.hpp>

namespace offsite::cli {

// `progress` is a core::CheckProgress or core::PruneProgress (done, total,
// bytes_done, bytes_total); a caller adds fields of its own to the result.
template <class Progress>
nlohmann::json phase_status(std::string_view phase, double seconds, const Progress& progress) {
  return {{"type", "status"},
          {"phase", phase},
          {"seconds_elapsed", seconds},
          {"done", progress.done},
          {"total", progress.total},
          {"bytes_done", progress.bytes_done},
          {"bytes_total", progress.bytes_total}};
}

} // namespace offsite::cli
