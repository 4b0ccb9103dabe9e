// Running one regression case: generate its trace (for a `gen` case), simulate it, compare
// its functional outputs with the generator's reference, check the sanity bounds and
// compare its figures with the golden file. Every step that simulates runs the trnsim
// binary as a child process (process.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "regress/figures.h"
#include "regress/suite.h"

namespace trnsim::regress {

enum class Verdict {
  kPass,      // every check holds
  kMismatch,  // a figure moved, a bound broke, an output is wrong, or no golden
  kError,     // the case could not run: a crash, a deadlock, a time-out, a bad generator
  kSkipped    // not run: an earlier case failed and --keep-going was not given
};
const char* verdict_name(Verdict v);

enum class GoldenUpdate { kNone, kCreated, kChanged, kUnchanged };

struct CaseResult {
  Verdict verdict = Verdict::kSkipped;
  std::optional<Figures> measured;
  std::optional<Figures> golden;
  std::vector<std::string> failures;  // one line each: what failed and by how much
  // Simulated time over the roofline bound (roofline_bound_seconds), when both are known.
  std::optional<double> bound_factor;
  double seconds = 0;  // wall time
  GoldenUpdate update = GoldenUpdate::kNone;
};

struct RunSettings {
  std::filesystem::path trnsim;    // the binary to run
  std::filesystem::path work_dir;  // each case gets a directory inside
  std::filesystem::path golden_dir;
  bool update_golden = false;
};

CaseResult run_case(const Case& c, const RunSettings& settings);

// The golden file of a case.
std::filesystem::path golden_path(const std::filesystem::path& dir, const std::string& name);

}  // namespace trnsim::regress
