#include "sweep/spec.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/diagnostic.h"
#include "common/number.h"
#include "common/yaml_reader.h"
#include "sweep/metrics.h"

namespace trnsim::sweep {

namespace fs = std::filesystem;

namespace {

// A run lasts at most this long unless the spec says otherwise: generous for large traces
// in a Debug build, short enough that a hang costs one point, not the night.
constexpr double kDefaultTimeoutSeconds = 600;
// The values a single range may expand to.
constexpr std::uint64_t kMaxRangeValues = 100'000;

const std::vector<std::string> kDefaultMetrics = {"cycles", "seconds", "mfu"};

// Names become file names and CSV cells.
bool valid_name(const std::string& name) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._-]*");
  return std::regex_match(name, kName);
}

// The text of a YAML value in flow style, as `--set` reads it back.
std::string flow_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

class Parser : private YamlReader {
 public:
  Parser(std::string text, std::string file, fs::path dir)
      : YamlReader(std::move(text), std::move(file)), m_dir(std::move(dir)) {}

  Spec parse() {
    const YAML::Node root = load();
    if (!root.IsMap())
      fail(root.Mark(), "expected a map with 'base', 'parameters', 'workloads' and 'metrics'");
    check_keys(root, {"name", "base", "parameters", "sample", "seed", "skip_invalid", "workloads",
                      "metrics", "timeout", "area"});
    Spec spec;
    spec.file = file();
    spec.dir = m_dir;
    spec.timeout_seconds = kDefaultTimeoutSeconds;
    if (root["name"]) {
      spec.name = scalar(root["name"], "a sweep name");
      if (!valid_name(spec.name))
        fail(root["name"].Mark(),
             fmt::format("sweep name '{}' must be letters, digits, '.', '_' or '-'", spec.name));
    } else {
      spec.name = fs::path(file()).stem().string();
    }
    if (!root["base"]) fail(root.Mark(), "missing 'base': expected a preset name or config file");
    spec.base = config_reference(root["base"], m_dir);
    spec.base_line = line_of(root["base"]);
    if (const YAML::Node params = root["parameters"]) {
      expect_map(params, "a map of dotted config path to a list of values or a range");
      std::set<std::string> seen;
      for (const auto& entry : params) {
        Parameter p = parameter(entry.first, entry.second);
        for (const std::string& path : p.paths)
          if (!seen.insert(path).second)
            fail(entry.first.Mark(), fmt::format("'{}' is swept twice", path));
        std::set<std::vector<std::string>> distinct(p.values.begin(), p.values.end());
        if (distinct.size() != p.values.size())
          fail(entry.second.Mark(), fmt::format("'{}' takes the same value twice", p.name));
        spec.parameters.push_back(std::move(p));
      }
    }
    if (root["seed"]) spec.seed = unsigned_value(root["seed"], "a seed (an unsigned integer)");
    if (const YAML::Node sample = root["sample"]) {
      spec.sample = unsigned_value(sample, "the number of points to draw");
      if (spec.sample == 0) fail(sample.Mark(), "expected at least 1 point to draw");
    }
    if (root["skip_invalid"]) spec.skip_invalid = boolean(root["skip_invalid"]);
    const std::uint64_t points = checked_grid_size(spec, root);
    if (spec.sample > points)
      fail(root["sample"].Mark(),
           fmt::format("cannot draw {} distinct points from a grid of {}", spec.sample, points));
    if (!root["workloads"]) fail(root.Mark(), "missing 'workloads': expected a list of workloads");
    std::set<std::string> names;
    for (const auto& node : sequence(root["workloads"], "a list of workloads")) {
      Workload w = workload(node);
      if (!names.insert(w.name).second)
        fail(node["name"].Mark(), fmt::format("duplicate workload name '{}'", w.name));
      spec.workloads.push_back(std::move(w));
    }
    if (spec.workloads.empty()) fail(root["workloads"].Mark(), "expected at least one workload");
    spec.metrics = kDefaultMetrics;
    if (const YAML::Node metrics = root["metrics"]) spec.metrics = metric_list(metrics);
    if (root["timeout"]) spec.timeout_seconds = positive(root["timeout"], "a timeout in seconds");
    if (const YAML::Node area = root["area"]) {
      expect_map(area, "a map with 'pe_cell' and 'sram_kib' (the area proxy's weights)");
      check_keys(area, {"pe_cell", "sram_kib"});
      if (area["pe_cell"]) spec.area.pe_cell = positive(area["pe_cell"], "a weight");
      if (area["sram_kib"]) spec.area.sram_kib = positive(area["sram_kib"], "a weight");
    }
    return spec;
  }

 private:
  std::uint64_t unsigned_value(const YAML::Node& node, const std::string& what) const {
    const std::string text = scalar(node, what);
    std::uint64_t v = 0;
    std::string error;
    if (!parse_unsigned(text, v, &error))
      fail(node.Mark(), fmt::format("expected {}, got '{}'", what, text));
    return v;
  }

  Parameter parameter(const YAML::Node& key, const YAML::Node& value) const {
    Parameter p;
    p.name = scalar(key, "a dotted config path such as tensor.rows, or a group's name");
    p.line = line_of(key);
    p.column = static_cast<std::uint32_t>(key.Mark().column + 1);
    if (value.IsMap() && value["zip"]) {
      check_keys(value, {"zip"});
      const YAML::Node zip = value["zip"];
      expect_map(zip, "a map of config path to values, all of the same length");
      for (const auto& entry : zip) {
        const std::string path = scalar(entry.first, "a dotted config path");
        if (std::find(p.paths.begin(), p.paths.end(), path) != p.paths.end())
          fail(entry.first.Mark(), fmt::format("'{}' is given twice", path));
        const std::vector<std::string> values = field_values(path, entry.second);
        if (!p.paths.empty() && values.size() != p.values.size())
          fail(entry.second.Mark(),
               fmt::format("'{}' has {} values, but '{}' has {}: fields zipped together step "
                           "together",
                           path, values.size(), p.paths.front(), p.values.size()));
        p.values.resize(values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
          p.values[i].push_back(values[i]);
        p.paths.push_back(path);
      }
      if (p.paths.empty()) fail(zip.Mark(), "a zip needs at least one field");
      return p;
    }
    p.paths = {p.name};
    for (std::string& v : field_values(p.name, value))
      p.values.push_back({std::move(v)});
    return p;
  }

  std::vector<std::string> field_values(const std::string& path, const YAML::Node& value) const {
    if (value.IsSequence()) {
      std::vector<std::string> values;
      for (const auto& v : value)
        values.push_back(flow_text(v));
      if (values.empty()) fail(value.Mark(), fmt::format("'{}' has no values", path));
      return values;
    }
    if (value.IsMap()) return range(value);
    fail(value.Mark(), fmt::format("'{}': expected a list of values such as [64, 128], a range "
                                   "such as {{from: 64, to: 256, step: 64}}, or a group "
                                   "{{zip: {{path: [...], ...}}}}",
                                   path));
  }

  // {from, to, step} (arithmetic) or {from, to, factor} (geometric), both ends included
  // when reached. Integer ends (with size suffixes such as 96Ki) give integers.
  std::vector<std::string> range(const YAML::Node& node) const {
    check_keys(node, {"from", "to", "step", "factor"});
    if (!node["from"] || !node["to"])
      fail(node.Mark(), "a range needs 'from' and 'to', and 'step' or 'factor'");
    if (static_cast<bool>(node["step"]) == static_cast<bool>(node["factor"]))
      fail(node.Mark(), "a range needs exactly one of 'step' and 'factor'");
    const bool geometric = static_cast<bool>(node["factor"]);
    const YAML::Node by = geometric ? node["factor"] : node["step"];
    std::uint64_t from_u = 0;
    std::uint64_t to_u = 0;
    std::uint64_t by_u = 0;
    const bool integers = parse_unsigned(scalar(node["from"], "a number"), from_u) &&
                          parse_unsigned(scalar(node["to"], "a number"), to_u) &&
                          parse_unsigned(scalar(by, "a number"), by_u);
    std::vector<std::string> values;
    auto add = [&](std::string v) {
      if (values.size() >= kMaxRangeValues)
        fail(node.Mark(), fmt::format("the range has more than {} values", kMaxRangeValues));
      values.push_back(std::move(v));
    };
    if (integers) {
      if (from_u > to_u) fail(node.Mark(), "'from' is greater than 'to'");
      if (geometric ? by_u < 2 : by_u == 0)
        fail(by.Mark(), geometric ? "expected a factor of at least 2" : "expected a step above 0");
      for (std::uint64_t v = from_u; v <= to_u;) {
        add(std::to_string(v));
        const std::uint64_t next = geometric ? v * by_u : v + by_u;
        if (next <= v || (geometric && next / by_u != v)) break;  // overflow: past `to`
        v = next;
      }
      return values;
    }
    const double from = real(node["from"]);
    const double to = real(node["to"]);
    const double step = real(by);
    if (from > to) fail(node.Mark(), "'from' is greater than 'to'");
    if (geometric ? !(step > 1) || !(from > 0) : !(step > 0))
      fail(by.Mark(),
           geometric ? "expected a factor above 1 and 'from' above 0" : "expected a step above 0");
    // The i-th value is computed from `from`, not accumulated, so rounding does not drift;
    // `to` is included when within a millionth of a step of it. Values are written with 15
    // significant digits, all a double holds exactly, so that 0.1 + 2 * 0.1 is "0.3" in
    // overrides and results, not "0.30000000000000004".
    for (std::uint64_t i = 0;; ++i) {
      const double v = geometric ? from * std::pow(step, static_cast<double>(i))
                                 : from + static_cast<double>(i) * step;
      const double slack = geometric ? to * 1e-9 : step * 1e-6;
      if (v > to + slack) break;
      add(fmt::format("{:.15g}", std::min(v, to)));
    }
    return values;
  }

  double real(const YAML::Node& node) const {
    const std::string text = scalar(node, "a number");
    double v = 0;
    if (!parse_real(text, v) || !std::isfinite(v))
      fail(node.Mark(), fmt::format("expected a finite number, got '{}'", text));
    return v;
  }

  std::uint64_t checked_grid_size(const Spec& spec, const YAML::Node& root) const {
    std::uint64_t points = 1;
    for (const Parameter& p : spec.parameters) {
      if (points > std::numeric_limits<std::uint64_t>::max() / p.values.size()) {
        points = std::numeric_limits<std::uint64_t>::max();
        break;
      }
      points *= p.values.size();
    }
    const std::uint64_t runs = spec.sample > 0 ? spec.sample : points;
    if (runs > kMaxPoints) {
      const YAML::Node where = spec.sample > 0 ? root["sample"] : root["parameters"];
      fail(where.Mark(), fmt::format("the sweep has {} points, more than {}{}", runs, kMaxPoints,
                                     spec.sample > 0 ? "" : "; draw a subset with 'sample: N'"));
    }
    return points;
  }

  Workload workload(const YAML::Node& node) const {
    expect_map(node, "a workload: a map with 'name' and 'gen' or 'trace'");
    check_keys(node, {"name", "gen", "trace"});
    Workload w;
    w.line = line_of(node);
    if (!node["name"]) fail(node.Mark(), "a workload needs a 'name'");
    w.name = scalar(node["name"], "a workload name");
    if (!valid_name(w.name))
      fail(node["name"].Mark(),
           fmt::format("workload name '{}' must be letters, digits, '.', '_' or '-'", w.name));
    const bool has_trace = static_cast<bool>(node["trace"]);
    if (has_trace == static_cast<bool>(node["gen"]))
      fail(node.Mark(),
           fmt::format("workload '{}' needs exactly one of 'gen' and 'trace'", w.name));
    if (has_trace) {
      const fs::path path = m_dir / scalar(node["trace"], "a trace file");
      if (!fs::is_regular_file(path))
        fail(node["trace"].Mark(), fmt::format("trace '{}' not found", path.string()));
      w.trace = fs::absolute(path).lexically_normal().string();
      return w;
    }
    const YAML::Node gen = node["gen"];
    if (gen.IsScalar()) {
      std::istringstream words(gen.Scalar());
      for (std::string word; words >> word;)
        w.gen.push_back(word);
    } else {
      for (const auto& arg : sequence(gen, "the arguments of 'trnsim gen', as a string or a list"))
        w.gen.push_back(scalar(arg, "an argument"));
    }
    if (w.gen.empty()) fail(gen.Mark(), "expected a generator name, e.g. 'gemm --m 1024'");
    for (const std::string& arg : w.gen) {
      // The sweep owns these: every point plans for its own config and writes its own trace.
      for (const char* owned : {"-c", "--config", "--set", "-o", "--output"}) {
        if (arg == owned || arg.starts_with(std::string(owned) + "="))
          fail(gen.Mark(), fmt::format("workload '{}': '{}' is set by the sweep for each point; "
                                       "leave it out",
                                       w.name, owned));
      }
    }
    return w;
  }

  std::vector<std::string> metric_list(const YAML::Node& node) const {
    std::vector<std::string> metrics;
    for (const auto& m : sequence(node, "a list of metric names such as [cycles, mfu]")) {
      const std::string name = scalar(m, "a metric name");
      if (const std::optional<std::string> problem = check_metric(name)) fail(m.Mark(), *problem);
      if (std::find(metrics.begin(), metrics.end(), name) != metrics.end())
        fail(m.Mark(), fmt::format("metric '{}' is listed twice", name));
      metrics.push_back(name);
    }
    if (metrics.empty()) fail(node.Mark(), "expected at least one metric");
    return metrics;
  }

  fs::path m_dir;
};

// splitmix64: a tiny generator whose output is fixed by its definition, so a seeded sample
// is the same on every platform and standard library (std:: distributions are not).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), by rejection so that no value is favoured.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
    for (;;) {
      const std::uint64_t v = next();
      if (v < limit) return v % n;
    }
  }

 private:
  std::uint64_t m_state;
};

Point point_at(const Spec& spec, std::uint64_t index) {
  Point p;
  p.index = index;
  p.choice.resize(spec.parameters.size());
  for (std::size_t i = spec.parameters.size(); i-- > 0;) {
    const std::uint64_t n = spec.parameters[i].values.size();
    p.choice[i] = static_cast<std::uint32_t>(index % n);
    index /= n;
  }
  return p;
}

}  // namespace

Spec parse_spec(const std::string& text, const std::string& file_name, const fs::path& dir) {
  return Parser(text, file_name, dir).parse();
}

Spec load_spec(const fs::path& file) {
  std::ifstream in(file);
  if (!in || fs::is_directory(file))
    throw InputError(file.string(), 0, 0, "cannot read the sweep spec");
  std::stringstream text;
  text << in.rdbuf();
  return parse_spec(text.str(), file.string(), fs::absolute(file).parent_path());
}

std::uint64_t grid_size(const Spec& spec) {
  std::uint64_t points = 1;
  for (const Parameter& p : spec.parameters)
    points *= p.values.size();  // parse_spec bounded the product
  return points;
}

std::vector<Point> enumerate(const Spec& spec) {
  const std::uint64_t n = grid_size(spec);
  std::vector<std::uint64_t> indices;
  if (spec.sample == 0 || spec.sample >= n) {
    indices.resize(n);
    for (std::uint64_t i = 0; i < n; ++i)
      indices[i] = i;
  } else {
    // Floyd's algorithm: `sample` distinct indices in as many draws, whatever the grid size.
    SplitMix64 rng(spec.seed);
    std::set<std::uint64_t> chosen;
    for (std::uint64_t j = n - spec.sample; j < n; ++j) {
      const std::uint64_t t = rng.below(j + 1);
      if (!chosen.insert(t).second) chosen.insert(j);
    }
    indices.assign(chosen.begin(), chosen.end());
  }
  std::vector<Point> points;
  points.reserve(indices.size());
  for (std::uint64_t i : indices)
    points.push_back(point_at(spec, i));
  return points;
}

std::vector<std::string> overrides(const Spec& spec, const Point& point) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < spec.parameters.size(); ++i) {
    const Parameter& p = spec.parameters[i];
    for (std::size_t k = 0; k < p.paths.size(); ++k)
      out.push_back(p.paths[k] + "=" + p.values[point.choice[i]][k]);
  }
  return out;
}

std::vector<std::string> swept_fields(const Spec& spec) {
  std::vector<std::string> out;
  for (const Parameter& p : spec.parameters)
    out.insert(out.end(), p.paths.begin(), p.paths.end());
  return out;
}

}  // namespace trnsim::sweep
