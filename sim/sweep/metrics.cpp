#include "sweep/metrics.h"

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "isa/isa.h"
#include "regress/figures.h"
#include "stats/report.h"
#include "trace/program.h"

namespace trnsim::sweep {

namespace {

constexpr const char* kBoundFactor = "bound_factor";
constexpr const char* kArea = "area";

// The scalar leaves of a stats document, by dotted path. Lists (streams, time series,
// top waits) are left out: one run gives many values there, not one.
void scalar_paths(const nlohmann::ordered_json& j, const std::string& prefix,
                  std::vector<std::string>& out) {
  for (const auto& [key, value] : j.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      scalar_paths(value, path, out);
    } else if (!value.is_array()) {
      out.push_back(path);
    }
  }
}

std::vector<std::string> stats_metrics() {
  // A stats document with every engine kind present has every path a run can produce.
  stats::RunStats r;
  for (std::size_t e = 0; e < isa::kNumEngines; ++e)
    r.engines.push_back(stats::EngineTotals{.engine = static_cast<isa::Engine>(e)});
  std::vector<std::string> paths;
  scalar_paths(stats::to_json(r, trace::Program{}), "", paths);
  paths.push_back(kBoundFactor);
  paths.push_back(kArea);
  return paths;
}

}  // namespace

const std::vector<std::string>& known_metrics() {
  static const std::vector<std::string> metrics = stats_metrics();
  return metrics;
}

std::optional<std::string> check_metric(const std::string& name) {
  const auto& known = known_metrics();
  if (std::find(known.begin(), known.end(), name) != known.end()) return std::nullopt;
  std::string message = fmt::format("unknown metric '{}'", name);
  const std::vector<std::string_view> views(known.begin(), known.end());
  const std::string guess = closest_match(name, views);
  if (!guess.empty()) message += fmt::format("; did you mean '{}'?", guess);
  return message + " (a dotted path into the stats JSON, docs/stats.md, or bound_factor or area)";
}

double area_proxy(const config::SystemConfig& cfg, const AreaWeights& weights) {
  const double pe_cells = static_cast<double>(cfg.tensor.rows) * cfg.tensor.cols;
  const double sram_bytes =
      static_cast<double>(cfg.sbuf.partitions) * static_cast<double>(cfg.sbuf.bytes_per_partition) +
      static_cast<double>(cfg.psum.partitions) * cfg.psum.banks *
          static_cast<double>(cfg.psum.bank_bytes);
  const double per_core = pe_cells * weights.pe_cell + sram_bytes / 1024.0 * weights.sram_kib;
  return per_core * cfg.chip.cores * cfg.system.chips;
}

nlohmann::json metric_value(const std::string& name, const nlohmann::json& stats, double area) {
  if (name == kArea) return area;
  if (name == kBoundFactor) {
    const double bound = regress::roofline_bound_seconds(stats);
    if (!(bound > 0)) return nullptr;
    return stats.at("seconds").get<double>() / bound;
  }
  const nlohmann::json* node = &stats;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = name.find('.', start);
    const std::string key = name.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node->is_structured() ? nlohmann::json(nullptr) : *node;
}

}  // namespace trnsim::sweep
