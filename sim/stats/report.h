// The terminal report and the --stats-json document of a run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "stats/run_stats.h"

namespace trnsim::stats {

inline constexpr int kStatsSchemaVersion = 2;

// Human-readable summary: time, compute, DMA and HBM figures, the roofline, per-engine busy
// and stalls, per-stream figures and the instructions that waited longest.
std::string format_report(const RunStats& r, const trace::Program& program);

// The machine-readable figures; schema in docs/stats.md.
nlohmann::ordered_json to_json(const RunStats& r, const trace::Program& program);

}  // namespace trnsim::stats
