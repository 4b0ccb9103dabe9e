// `trnsim check`: parse a trace, check it against a chip configuration, then simulate it
// with the race and deadlock detectors on; print a summary.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/dynamic_checks.h"
#include "cli/summary.h"

namespace trnsim::cli {

namespace {

struct CheckCommandOptions {
  CheckOptions check;
  bool static_only = false;
};

}  // namespace

void add_check_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<CheckCommandOptions>();
  CLI::App* cmd = add_command(
      app, "check", "Check a trace: its rules against a chip config, then races and deadlocks",
      "First the static checks (syntax, bounds, dtypes, shapes, semaphores; no simulation),\n"
      "then a simulation with the race detector and the deadlock detector on\n"
      "(docs/checks.md). Prints every error to stderr, or on success a summary to stdout.\n"
      "Exit status: 0 ok, 1 the program breaks a rule of the chip (e.g. out of bounds) or\n"
      "has a data race or a deadlock, 2 the trace or config cannot be read or parsed.\n\n"
      "Example:\n"
      "  trnsim check --config trn2 workloads/gemm-1024x1024x1024-bf16-trn2.trn");
  add_check_options(*cmd, opts->check);
  cmd->add_flag("--static", opts->static_only,
                "Only the static checks: do not simulate (no race or deadlock detection)");
  on_selected(*cmd, ctx, [opts, &ctx] {
    CheckedTrace checked;
    const ExitCode status = load_and_check(ctx, opts->check, checked);
    if (status != ExitCode::kOk) return status;
    bool simulated = false;
    if (!opts->static_only) {
      prepare_simulation(checked, opts->check.trace, true, simulated);
      if (!simulated) std::cerr << "dynamic checks skipped: the trace cannot be simulated yet\n";
    }
    if (simulated) {
      const CheckedRun run = simulate_with_checks(checked, opts->check, {}, true);
      if (run.findings()) return ExitCode::kProgramError;
    }
    print_summary(summarize(checked.program, checked.cfg, opts->check.trace), std::cout);
    if (simulated) std::cout << "dynamic checks: no data race, no deadlock\n";
    return ExitCode::kOk;
  });
}

}  // namespace trnsim::cli
