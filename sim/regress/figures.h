// The figures a regression case is judged by, taken from a run's stats JSON
// (docs/stats.md): what its golden file holds, how a measurement is compared with it
// under the case's tolerances, and the roofline sanity bounds no run may break.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "regress/suite.h"

namespace trnsim::regress {

struct Figures {
  std::string config;
  long long cycles = 0;
  std::map<std::string, double> busy;  // per engine kind, 0..1
  long long dma_bytes = 0;
  long long hbm_bytes_read = 0;
  long long hbm_bytes_written = 0;
  long long link_bytes = 0;
  double mfu = 0;

  bool operator==(const Figures&) const = default;
};

// The figures of a `run --stats-json` document. Fractions are rounded to 6 significant
// digits so that golden files stay short and a difference in the last bits of a double
// is not a regression. Throws std::runtime_error naming a missing key.
Figures figures_from_stats(const nlohmann::json& stats);

// The golden file: one pretty-printed JSON object, keys in a fixed order.
std::string golden_text(const std::string& case_name, const Figures& f);
// Throws std::runtime_error naming what is missing.
Figures figures_from_golden(const nlohmann::json& golden);

// One metric outside its tolerance.
struct Deviation {
  std::string metric;  // "cycles", "busy.pe", "dma.bytes", ...
  double golden = 0;
  double measured = 0;
  double tolerance = 0;  // relative; 0 exact

  // "cycles 1000 -> 1100 (+10.00 %, tolerance 1.00 %)"
  std::string describe() const;
};

std::vector<Deviation> compare(const Figures& golden, const Figures& measured, const Tolerance& t);

// The roofline's lower bound on the run time, in seconds: the largest of flops over the
// peak FLOP/s, HBM bytes over the peak HBM bandwidth (the stats' `roofline` section) and
// DMA bytes over what the DMA engines can move (`dma.peak_bytes_per_s`) and link bytes over
// what all link ports can carry (`links.peak_bytes_per_s`), the last two when present.
double roofline_bound_seconds(const nlohmann::json& stats);

// The run time checked against the roofline bound: never below it, and at most
// `max_factor` times it when given. Returns the violation, if any.
std::optional<std::string> check_bounds(const nlohmann::json& stats,
                                        std::optional<double> max_factor);

}  // namespace trnsim::regress
