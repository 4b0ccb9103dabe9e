#include "sweep/points.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "config/config_loader.h"
#include "config/config_schema.h"
#include "sweep/metrics.h"

namespace trnsim::sweep {

namespace fs = std::filesystem;
namespace schema = config::schema;

namespace {

// Dotted paths of every leaf and every section (a prefix of a leaf): what `--set` accepts.
struct ConfigPaths {
  std::vector<std::string> leaves;
  std::set<std::string> all;
};

ConfigPaths config_paths() {
  ConfigPaths paths;
  config::SystemConfig defaults;
  schema::for_each_leaf(defaults, [&](const schema::Leaf& leaf) {
    paths.leaves.push_back(leaf.path);
    for (std::size_t dot = leaf.path.find('.'); dot != std::string::npos;
         dot = leaf.path.find('.', dot + 1))
      paths.all.insert(leaf.path.substr(0, dot));
    paths.all.insert(leaf.path);
  });
  return paths;
}

void check_parameters(const Spec& spec) {
  const ConfigPaths paths = config_paths();
  for (const Parameter& p : spec.parameters) {
    for (const std::string& path : p.paths) {
      if (paths.all.contains(path)) continue;
      std::string message = fmt::format("'{}' is not a config field", path);
      const std::vector<std::string_view> views(paths.leaves.begin(), paths.leaves.end());
      const std::string guess = closest_match(path, views);
      if (!guess.empty()) message += fmt::format("; did you mean '{}'?", guess);
      throw InputError(spec.file, p.line, p.column,
                       message + " (`trnsim config show` lists every field)");
    }
  }
}

nlohmann::ordered_json slot_value(const schema::Leaf& leaf) {
  using J = nlohmann::ordered_json;
  return std::visit(
      schema::Overloaded{
          [](std::uint32_t* v) { return J(*v); }, [](std::uint64_t* v) { return J(*v); },
          [](double* v) { return J(*v); }, [](bool* v) { return J(*v); },
          [](std::string* v) { return J(*v); },
          [](config::TopologyKind* v) { return J(std::string(schema::to_string(*v))); },
          [](std::vector<std::uint32_t>* v) { return J(*v); },
          [](std::vector<std::array<std::uint32_t, 2>>* v) { return J(*v); },
          [](schema::Section) { return J(nullptr); }},
      leaf.slot);
}

// The parameters' values as the loaded config holds them; a section (a whole map such as
// tensor.moving_columns_per_cycle) keeps the spec's text.
nlohmann::ordered_json resolved_params(const Spec& spec, const Point& point,
                                       config::SystemConfig& cfg) {
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const std::string& o : overrides(spec, point)) {
    const std::size_t eq = o.find('=');
    params[o.substr(0, eq)] = o.substr(eq + 1);
  }
  schema::for_each_leaf(cfg, [&](const schema::Leaf& leaf) {
    if (params.contains(leaf.path)) params[leaf.path] = slot_value(leaf);
  });
  return params;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw InputError(file.string(), 0, 0, "cannot read the config file");
  return text.str();
}

}  // namespace

Resolution resolve(const Spec& spec, const fs::path& base_file) {
  check_parameters(spec);
  // The base is read once: points differ only in their overrides.
  const config::PreparedConfig base(read_text(base_file), base_file.string());
  Resolution out;
  for (const Point& point : enumerate(spec)) {
    ResolvedPoint rp;
    rp.point = point;
    rp.overrides = overrides(spec, point);
    try {
      config::SystemConfig cfg = base.with(rp.overrides);
      rp.params = resolved_params(spec, point, cfg);
      rp.area = area_proxy(cfg, spec.area);
    } catch (const InputError& e) {
      const Diagnostic& first = e.diagnostics().items().front();
      const std::string line = fmt::format("point {} ({}): {}", point.index,
                                           fmt::join(rp.overrides, ", "), first.message);
      if (spec.skip_invalid) {
        out.skipped.push_back(line);
        continue;
      }
      throw InputError(spec.file,
                       spec.parameters.empty() ? spec.base_line : spec.parameters[0].line, 0,
                       line +
                           "\n(the grid has invalid corners? 'skip_invalid: true' leaves such "
                           "points out)");
    }
    out.points.push_back(std::move(rp));
  }
  if (out.points.empty())
    throw InputError(spec.file, spec.base_line, 0, "every point of the sweep is an invalid config");
  return out;
}

}  // namespace trnsim::sweep
