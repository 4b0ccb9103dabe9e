// `trnsim check`: parse a trace, check it against a chip configuration, then simulate it
// with the race and deadlock detectors on; print a summary.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/dynamic_checks.h"
#include "cli/progress.h"
#include "cli/summary.h"

namespace trnsim::cli {

namespace {

struct CheckCommandOptions {
  CheckOptions check;
  bool static_only = false;
  ProgressMode progress = ProgressMode::kAuto;
  std::string junit;
};

// The checks judged from the simulation, for --junit when there is none.
void skip_dynamic_checks(PhaseLog& log, const std::string& reason) {
  log.skip("simulation", reason);
  for (const char* name : {"run-time errors", "races", "deadlock"})
    log.skip(name, reason);
}

ExitCode check_trace(const CliContext& ctx, const CheckCommandOptions& opts, PhaseLog& log) {
  CheckedTrace checked;
  const ExitCode status = load_and_check(ctx, opts.check, checked, log);
  if (status != ExitCode::kOk) return status;
  bool simulated = false;
  if (opts.static_only) {
    skip_dynamic_checks(log, "--static: not simulated");
  } else {
    std::vector<Diagnostic> why;
    prepare_simulation(checked, opts.check.trace, true, simulated, &why);
    if (!simulated) {
      const std::string reason = "dynamic checks skipped: the trace cannot be simulated yet";
      std::cerr << reason << "\n";
      skip_dynamic_checks(log, why.empty() ? reason : reason + ": " + why.front().message);
    }
  }
  if (simulated) {
    log.start("simulation");
    const std::unique_ptr<Progress> progress =
        make_progress(opts.progress, checked.program.instructions.size());
    std::vector<events::Observer*> observers;
    if (progress) observers.push_back(progress.get());
    const CheckedRun run = simulate_with_checks(checked, opts.check, observers, true);
    log.pass();
    log_findings(log, run, true, "deadlock");
    if (run.findings()) return ExitCode::kProgramError;
  }
  print_summary(summarize(checked.program, checked.cfg, opts.check.trace), std::cout);
  if (simulated) std::cout << "dynamic checks: no data race, no deadlock\n";
  return ExitCode::kOk;
}

}  // namespace

void add_check_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<CheckCommandOptions>();
  CLI::App* cmd = add_command(
      app, "check", "Check a trace: its rules against a chip config, then races and deadlocks",
      "First the static checks (syntax, bounds, dtypes, shapes, semaphores; no simulation),\n"
      "then a simulation with the race detector and the deadlock detector on\n"
      "(docs/checks.md). Prints every error to stderr, or on success a summary to stdout.\n"
      "Exit status: 0 ok, 1 the program breaks a rule of the chip (e.g. out of bounds) or\n"
      "has a data race or a deadlock, 2 the trace or config cannot be read or parsed.\n"
      "--junit FILE also writes each phase's outcome as a JUnit XML report. While it\n"
      "simulates, a progress line shows on stderr when that is a terminal, after 2 s\n"
      "(--progress: always, from the start; --quiet: never).\n\n"
      "Example:\n"
      "  trnsim check --config trn2 workloads/gemm-1024x1024x1024-bf16-trn2.trn");
  add_check_options(*cmd, opts->check);
  cmd->add_flag("--static", opts->static_only,
                "Only the static checks: do not simulate (no race or deadlock detection)");
  add_progress_options(*cmd, opts->progress);
  add_junit_option(*cmd, opts->junit);
  on_selected(*cmd, ctx, [opts, &ctx] {
    PhaseLog log("trnsim.check", opts->check.trace);
    return run_logged(log, opts->junit, [&] { return check_trace(ctx, *opts, log); });
  });
}

}  // namespace trnsim::cli
