// The points of a sweep checked against the config schema before anything runs: each
// parameter must name a config field, and each point's config must load and validate
// exactly as `trnsim run --config BASE --set ...` would load it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep/spec.h"

namespace trnsim::sweep {

struct ResolvedPoint {
  Point point;
  std::vector<std::string> overrides;  // PATH=VALUE, as `--set` takes them
  // Each parameter's value as the loaded config holds it (a number, bool, string or list),
  // keyed by its path in the spec's order: what results and plots show.
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  double area = 0;  // the area proxy (metrics.h)
};

struct Resolution {
  std::vector<ResolvedPoint> points;
  // With `skip_invalid`, one line per point left out: its values and the config's error.
  std::vector<std::string> skipped;
};

// `base_file` is the config file `spec.base` names (a preset resolved by the caller).
// Throws InputError at the spec's line for a parameter that names no config field, and for
// the first invalid point unless the spec skips them.
Resolution resolve(const Spec& spec, const std::filesystem::path& base_file);

}  // namespace trnsim::sweep
