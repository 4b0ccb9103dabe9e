// The regression suite file (workloads/suite.yaml; docs/workloads.md, "Regression suite"):
// named cases, each a trace or a generator command line, a config, the tolerances its
// figures are compared with against their golden file, and the sanity bounds they must
// keep whatever the golden says.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace trnsim::regress {

// How far a measured figure may move from its golden value: a fraction of the golden
// value (0: exact).
struct Tolerance {
  double cycles = 0;
  double busy = 0;
  double bytes = 0;
  double mfu = 0;
};

// Elementwise comparison of the functional outputs with the generator's reference
// (numpy.isclose's rule, as `trnsim compare`).
struct Reference {
  double rtol = 1e-5;
  double atol = 1e-8;
};

struct Case {
  std::string name;
  std::uint32_t line = 0;              // where the case starts in the suite file
  std::string config;                  // a preset name, or a path made absolute
  std::vector<std::string> overrides;  // KEY=VALUE, as `--set`
  std::string trace;                   // absolute path; empty for a generated case
  std::vector<std::string> gen;        // arguments after `trnsim gen`; empty for a trace
  bool functional = false;
  Reference reference;
  std::vector<std::string> tags;  // always includes "full"
  Tolerance tolerance;
  std::optional<double> max_bound_factor;
  double timeout_seconds = 0;

  bool has_tag(const std::string& tag) const;
};

struct Suite {
  std::filesystem::path file;
  std::filesystem::path golden_dir;  // absolute
  std::vector<std::string> tags;     // the tags cases may carry
  std::vector<Case> cases;
};

// The token in a `gen` argument that stands for the case's reference directory.
inline constexpr const char* kReferenceToken = "{ref}";

// Reads and validates a suite file. Throws InputError naming file:line for a YAML error,
// an unknown key, a missing trace or config file, an undeclared tag, a duplicate name or
// a bad value.
Suite load_suite(const std::filesystem::path& file);
// The same from text, for tests; relative paths resolve against `dir`.
Suite parse_suite(const std::string& text, const std::string& file_name,
                  const std::filesystem::path& dir);

}  // namespace trnsim::regress
