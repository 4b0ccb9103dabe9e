// Simulating a checked trace with the dynamic checks on, for `check` and `run --check`:
// the race detector (check/race_detector.h), the run-time errors (check/dynamic_errors.h)
// and the deadlock report. Findings go to stderr as diagnostics at their trace lines.
#pragma once

#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "events/observer.h"
#include "sysc/system/simulation.h"

namespace trnsim::cli {

struct CheckedRun {
  sysc::SimulationResult result;
  std::size_t races = 0;
  std::size_t errors = 0;  // uninitialised reads, accumulate without start, overflow
  bool deadlock = false;
  bool stopped = false;  // at the --max-time limit, with work left
  // What was printed about each kind of finding, within the --max-errors limit: run-time
  // errors, races, and the blocked streams of a deadlock or a run stopped at --max-time.
  std::vector<Diagnostic> error_diags;
  std::vector<Diagnostic> race_diags;
  std::vector<Diagnostic> unfinished_diags;
  bool findings() const { return races > 0 || errors > 0 || deadlock || stopped; }
};

// Readies a statically checked trace for simulation: names its file and refuses what the
// timing model cannot run yet, printing why (as errors and returning kBadInput, or with
// `as_warnings` as warnings and returning kOk with `supported` false). `why`, when given,
// receives those diagnostics.
ExitCode prepare_simulation(CheckedTrace& checked, const std::string& path, bool as_warnings,
                            bool& supported, std::vector<Diagnostic>* why = nullptr);

// Simulates `checked` (which passed the static checks and sysc::check_supported) with
// `observers` attached, plus the race detector and the run-time error checks when
// `dynamic_checks`. Prints what they find and, if the run did not finish, every blocked
// stream (deadlock) or, when the --max-time limit stopped it, where each unfinished stream
// was, to stderr; at most opts.max_errors errors.
CheckedRun simulate_with_checks(const CheckedTrace& checked, const CheckOptions& opts,
                                const std::vector<events::Observer*>& observers,
                                bool dynamic_checks, const sysc::ModelHooks& hooks = {});

// Records what `run` found as phases of `log`, judged from the simulation (whose phase
// holds the time): "run-time errors" and "races" when `dynamic_checks`, then
// `unfinished_name` ("deadlock" for `check`, "completion" for `run`).
void log_findings(PhaseLog& log, const CheckedRun& run, bool dynamic_checks,
                  const std::string& unfinished_name);

}  // namespace trnsim::cli
