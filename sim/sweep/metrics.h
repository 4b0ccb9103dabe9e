// What a sweep measures at each run (docs/sweeps.md, "Metrics"): any number, flag or name
// in the stats JSON of `trnsim run` (docs/stats.md), named by its dotted path such as
// `engines.pe.busy`, and two derived figures: `bound_factor`, the run time over its
// roofline bound, and `area`, the area proxy of the point's config.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "sweep/spec.h"

namespace trnsim::sweep {

// Every metric name a spec may ask for, in the stats document's order, derived ones last.
const std::vector<std::string>& known_metrics();

// Nothing when `name` is a known metric; else why not, with the closest known name.
std::optional<std::string> check_metric(const std::string& name);

// The area proxy of a config: over all chips and cores, the PE array's cells and the KiB
// of SBUF and PSUM, each times its weight.
double area_proxy(const config::SystemConfig& cfg, const AreaWeights& weights);

// The value of `name` in a run's stats (a number, bool or string), or null when this run's
// stats do not have it (an engine the workload never used).
nlohmann::json metric_value(const std::string& name, const nlohmann::json& stats, double area);

}  // namespace trnsim::sweep
