// A design-space sweep (docs/sweeps.md): a base config, the config fields to vary and the
// values each takes, the workloads to run at every point, and the metrics to collect from
// each run. This file reads the spec and enumerates its points; points.h checks each point
// against the config schema, runner.h runs them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trnsim::sweep {

// One axis of the grid: a config field and its values, or a group of fields that change
// together (`zip`), such as the array's rows and the SBUF's partitions. Values are YAML
// text that `--set PATH=VALUE` accepts ("128", "96Ki", "[4, 4]", "{bf16: 2}").
struct Parameter {
  std::string name;                // the config path; for a group, its name in the spec
  std::vector<std::string> paths;  // the fields it sets: one, or the group's
  // values[i][k]: the value of paths[k] at the axis' i-th step.
  std::vector<std::vector<std::string>> values;
  std::uint32_t line = 0;  // of the key in the spec
  std::uint32_t column = 0;
};

// What runs at every point: a generator command line, planned for the point's config, or a
// fixed trace.
struct Workload {
  std::string name;
  std::vector<std::string> gen;  // arguments after `trnsim gen`; empty for a trace
  std::string trace;             // absolute path; empty for a generated workload
  std::uint32_t line = 0;
};

// The weights of the area proxy (docs/sweeps.md, "Area proxy"): the PE array and the
// on-chip SRAM, the two structures a sweep usually trades against time.
struct AreaWeights {
  double pe_cell = 1.0;   // one processing element of the tensor engine
  double sram_kib = 2.5;  // one KiB of SBUF or PSUM
};

struct Spec {
  std::string file;           // as given, for messages
  std::filesystem::path dir;  // relative paths in the spec resolve against it
  std::string name;
  std::string base;  // a preset name, or a config file path made absolute
  std::uint32_t base_line = 0;
  std::vector<Parameter> parameters;
  std::uint64_t sample = 0;  // 0: every point of the grid; else this many, drawn with `seed`
  std::uint64_t seed = 0;
  bool skip_invalid = false;  // drop points whose config is invalid instead of failing
  std::vector<Workload> workloads;
  std::vector<std::string> metrics;
  double timeout_seconds = 0;  // per run
  AreaWeights area;
};

// The most points a spec may run (a grid without `sample`, or a sample): more than a
// cluster finishes overnight, few enough that every point is checked up front and held in
// memory (about 1 KiB each).
inline constexpr std::uint64_t kMaxPoints = 100'000;

// Reads and checks a spec. Throws InputError naming file:line:col for a YAML error, an
// unknown key, a bad range, a missing trace or a grid too large.
Spec load_spec(const std::filesystem::path& file);
// The same from text; relative paths resolve against `dir`.
Spec parse_spec(const std::string& text, const std::string& file_name,
                const std::filesystem::path& dir);

// One point of the grid: one value index per parameter.
struct Point {
  std::uint64_t index = 0;  // in the grid, mixed radix with the first parameter slowest
  std::vector<std::uint32_t> choice;
};

// The number of points of the full grid (1 for a spec without parameters).
std::uint64_t grid_size(const Spec& spec);
// The points a spec runs, in grid order: the whole grid, or `sample` distinct points drawn
// with `seed` by a generator whose output is the same on every platform.
std::vector<Point> enumerate(const Spec& spec);
// "PATH=VALUE" per swept field, as `--set` takes them.
std::vector<std::string> overrides(const Spec& spec, const Point& point);
// Every swept field, in the spec's order: the parameter columns of the results.
std::vector<std::string> swept_fields(const Spec& spec);

}  // namespace trnsim::sweep
