// `trnsim run`: simulate a trace on the timing model and report where the time went.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/source_file.h"
#include "stats/report.h"
#include "stats/run_stats.h"
#include "sysc/system/simulation.h"
#include "trace/hbm_layout.h"

namespace trnsim::cli {

namespace {

struct RunOptions {
  CheckOptions check;
  std::string stats_json;
};

// One diagnostic per stream that never finished, at the instruction it is stuck on.
void report_deadlock(const sysc::SimulationResult& result, const trace::Program& program,
                     const std::string& path) {
  std::string source;
  try {
    source = read_file(path);
  } catch (const InputError&) {
    // The source line is a courtesy; the message stands without it.
  }
  DiagnosticList diags(1000);
  for (const sysc::BlockedStream& b : result.blocked) {
    const trace::Instruction& ins = program.instructions[b.instruction];
    const trace::CoreId core = program.cores[b.core_index].id;
    std::string stream = b.engine == isa::Engine::kDma ? fmt::format("dma.q{}", b.queue)
                                                       : std::string(isa::engine_name(b.engine));
    std::string why;
    for (const auto& c : b.conditions) {
      why += fmt::format("{}{} >= {} (it stays at {})", why.empty() ? "" : ", ",
                         program.semaphores[c.semaphore].name, c.needed, c.held);
    }
    if (why.empty()) why = "an instruction that never completed";
    diags.error(program.file, ins.line, 1,
                fmt::format("deadlock: stream {} of chip {} core {} waits forever for {}", stream,
                            core.chip, core.core, why),
                std::string(line_of(source, ins.line)));
  }
  diags.print(std::cerr);
}

}  // namespace

void add_run_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = add_command(
      app, "run", "Simulate a trace on the timing model and report time, utilisation and stalls",
      "Checks the trace like `check`, then simulates it (docs/timing-model.md) and prints\n"
      "total cycles and time, per-engine busy share and stall breakdown, DMA and HBM\n"
      "traffic, and achieved vs peak FLOP/s (MFU). --stats-json writes the same figures\n"
      "(docs/stats.md). Exit status 1 when the program deadlocks.\n\n"
      "Example:\n"
      "  trnsim run --config trn2 --stats-json stats.json "
      "workloads/gemm-1024x1024x1024-bf16-trn2.trn");
  add_check_options(*cmd, opts->check);
  cmd->add_option("--stats-json", opts->stats_json,
                  "Write the statistics as JSON to this file ('-' for stdout)")
      ->type_name("FILE");
  on_selected(*cmd, ctx, [opts, &ctx] {
    CheckedTrace checked;
    const ExitCode status = load_and_check(ctx, opts->check, checked);
    if (status != ExitCode::kOk) return status;
    checked.program.file = opts->check.trace;
    DiagnosticList unsupported;
    if (!sysc::check_supported(checked.program, unsupported)) {
      unsupported.print(std::cerr);
      return ExitCode::kBadInput;
    }
    const auto addresses =
        trace::assign_tensor_addresses(checked.program, checked.cfg.hbm, nullptr);
    stats::StatsCollector collector(checked.program, checked.cfg);
    const sysc::SimulationResult result =
        sysc::simulate(checked.program, checked.cfg, addresses, {&collector});
    const stats::RunStats figures =
        collector.finish(result.seconds, result.completed, result.traffic);
    if (!result.completed) report_deadlock(result, checked.program, opts->check.trace);
    // With the JSON on stdout, the human-readable report moves to stderr.
    std::ostream& report = opts->stats_json == "-" ? std::cerr : std::cout;
    report << stats::format_report(figures, checked.program);
    if (!opts->stats_json.empty()) {
      write_output(opts->stats_json, stats::to_json(figures, checked.program).dump(2) + "\n");
    }
    return result.completed ? ExitCode::kOk : ExitCode::kProgramError;
  });
}

}  // namespace trnsim::cli
