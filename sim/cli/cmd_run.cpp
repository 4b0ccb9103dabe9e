// `trnsim run`: simulate a trace on the timing model and report where the time went.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/dynamic_checks.h"
#include "stats/report.h"
#include "stats/run_stats.h"
#include "sysc/system/simulation.h"

namespace trnsim::cli {

namespace {

struct RunOptions {
  CheckOptions check;
  std::string stats_json;
  bool detect_races = false;
};

}  // namespace

void add_run_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = add_command(
      app, "run", "Simulate a trace on the timing model and report time, utilisation and stalls",
      "Checks the trace like `check`, then simulates it (docs/timing-model.md) and prints\n"
      "total cycles and time, per-engine busy share and stall breakdown, DMA and HBM\n"
      "traffic, and achieved vs peak FLOP/s (MFU). --stats-json writes the same figures\n"
      "(docs/stats.md). --check also runs the race detector (as `check` does).\n"
      "Exit status 1 when the program deadlocks or, with --check, has a data race.\n\n"
      "Example:\n"
      "  trnsim run --config trn2 --stats-json stats.json "
      "workloads/gemm-1024x1024x1024-bf16-trn2.trn");
  add_check_options(*cmd, opts->check);
  cmd->add_option("--stats-json", opts->stats_json,
                  "Write the statistics as JSON to this file ('-' for stdout)")
      ->type_name("FILE");
  cmd->add_flag("--check", opts->detect_races,
                "Also detect data races between engines (docs/checks.md)");
  on_selected(*cmd, ctx, [opts, &ctx] {
    CheckedTrace checked;
    const ExitCode status = load_and_check(ctx, opts->check, checked);
    if (status != ExitCode::kOk) return status;
    bool supported = false;
    const ExitCode ready = prepare_simulation(checked, opts->check.trace, false, supported);
    if (ready != ExitCode::kOk) return ready;
    stats::StatsCollector collector(checked.program, checked.cfg);
    const CheckedRun run =
        simulate_with_checks(checked, opts->check, {&collector}, opts->detect_races);
    const sysc::SimulationResult& result = run.result;
    const stats::RunStats figures =
        collector.finish(result.seconds, result.completed, result.traffic);
    // With the JSON on stdout, the human-readable report moves to stderr.
    std::ostream& report = opts->stats_json == "-" ? std::cerr : std::cout;
    report << stats::format_report(figures, checked.program);
    if (!opts->stats_json.empty()) {
      write_output(opts->stats_json, stats::to_json(figures, checked.program).dump(2) + "\n");
    }
    return run.findings() ? ExitCode::kProgramError : ExitCode::kOk;
  });
}

}  // namespace trnsim::cli
