// `trnsim run`: simulate a trace on the timing model and report where the time went.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/dynamic_checks.h"
#include "cli/progress.h"
#include "cli/rtl_run.h"
#include "functional/executor.h"
#include "io/npy.h"
#include "stats/report.h"
#include "stats/run_stats.h"
#include "sysc/system/simulation.h"
#include "timeline/timeline.h"
#include "trace/hbm_layout.h"

namespace trnsim::cli {

namespace {

struct RunOptions {
  CheckOptions check;
  std::string stats_json;
  bool detect_races = false;
  bool functional = false;
  std::string dump_outputs;
  RtlOptions rtl;
  std::string timeline;
  timeline::TimelineOptions window;
  ProgressMode progress = ProgressMode::kAuto;
  std::string junit;
};

// Writes the timeline, saying on stderr when the event limit cut it short.
void write_timeline(const timeline::TimelineRecorder& recorder, const std::string& path) {
  std::ostringstream text;
  recorder.write(text);
  write_output(path, text.str());
  if (recorder.dropped() > 0) {
    std::cerr << fmt::format(
        "trnsim: warning: the timeline stopped at --timeline-max-events; {} later events are "
        "not in {} (narrow it with --timeline-from/--timeline-to)\n",
        recorder.dropped(), path);
  }
}

// Writes every `output` tensor as DIR/NAME.npy, creating DIR.
void dump_outputs(const functional::FunctionalExecutor& executor, const trace::Program& program,
                  const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir, 0, 0, fmt::format("cannot create directory: {}", ec.message()));
  for (std::uint32_t t = 0; t < program.tensors.size(); ++t) {
    if (!program.tensors[t].output) continue;
    const std::filesystem::path path =
        std::filesystem::path(dir) / (program.tensors[t].name + ".npy");
    io::write_npy(path.string(), executor.tensor_array(t));
  }
}

ExitCode run_trace(const CliContext& ctx, const RunOptions& opts, PhaseLog& log) {
  CheckedTrace checked;
  const ExitCode status = load_and_check(ctx, opts.check, checked, log);
  if (status != ExitCode::kOk) return status;
  log.start("simulation");
  bool supported = false;
  std::vector<Diagnostic> unsupported;
  const ExitCode ready =
      prepare_simulation(checked, opts.check.trace, false, supported, &unsupported);
  if (ready != ExitCode::kOk) {
    log.fail(unsupported);
    return ready;
  }
  stats::StatsCollector collector(checked.program, checked.cfg);
  std::vector<events::Observer*> observers{&collector};
  // Timing-only runs never build the executor: they pay nothing for functional execution.
  // Built here, before the simulation, so a bad init file is reported as an input error.
  std::vector<std::uint64_t> addresses;
  std::optional<functional::FunctionalExecutor> executor;
  if (opts.functional) {
    addresses = trace::assign_tensor_addresses(checked.program, checked.cfg.hbm, nullptr);
    executor.emplace(checked.program, checked.cfg, addresses);
    observers.push_back(&*executor);
  }
  std::optional<timeline::TimelineRecorder> recorder;
  if (!opts.timeline.empty()) {
    const timeline::TimelineOptions& window = opts.window;
    if (window.to < window.from) {
      throw InputError(opts.check.trace, 0, 0,
                       "--timeline-to is before --timeline-from: the window would be empty");
    }
    recorder.emplace(checked.program, checked.cfg, opts.check.trace,
                     trace::assign_tensor_addresses(checked.program, checked.cfg.hbm, nullptr),
                     window);
    observers.push_back(&*recorder);
  }
  std::optional<RtlRun> rtl;
  if (!opts.rtl.block.empty()) rtl.emplace(checked, opts.rtl, opts.check);
  const std::unique_ptr<Progress> progress =
      make_progress(opts.progress, checked.program.instructions.size());
  if (progress) observers.push_back(progress.get());
  if (rtl) rtl->hybrid_started();
  const CheckedRun run = simulate_with_checks(checked, opts.check, observers, opts.detect_races,
                                              rtl ? rtl->hooks() : sysc::ModelHooks{});
  if (rtl) rtl->hybrid_finished(run.result);
  log.pass();
  log_findings(log, run, opts.detect_races, "completion");
  const bool rtl_wrong = rtl && !rtl->data_ok();
  if (rtl) {
    log.add("rtl", 0, {},
            rtl_wrong ? "the RTL computed a wrong result (see the report's rtl section)" : "");
  }

  log.start("outputs");
  const sysc::SimulationResult& result = run.result;
  const stats::RunStats figures =
      collector.finish(result.seconds, result.completed, result.traffic);
  // With the JSON on stdout, the human-readable report moves to stderr.
  std::ostream& report = opts.stats_json == "-" ? std::cerr : std::cout;
  report << stats::format_report(figures, checked.program);
  if (rtl) rtl->report(report);
  if (!opts.stats_json.empty()) {
    nlohmann::ordered_json json = stats::to_json(figures, checked.program);
    if (rtl) json["rtl"] = rtl->to_json();
    write_output(opts.stats_json, json.dump(2) + "\n");
  }
  if (recorder) write_timeline(*recorder, opts.timeline);
  if (executor && !opts.dump_outputs.empty()) {
    dump_outputs(*executor, checked.program, opts.dump_outputs);
  }
  log.pass();
  return run.findings() || rtl_wrong ? ExitCode::kProgramError : ExitCode::kOk;
}

}  // namespace

void add_run_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = add_command(
      app, "run", "Simulate a trace on the timing model and report time, utilisation and stalls",
      "Checks the trace like `check`, then simulates it (docs/timing-model.md) and prints\n"
      "total cycles and time, per-engine busy share and stall breakdown, DMA and HBM\n"
      "traffic, and achieved vs peak FLOP/s (MFU). --stats-json writes the same figures\n"
      "(docs/stats.md). --check also runs the race detector (as `check` does).\n"
      "--functional also computes the data (docs/numerics.md); --dump-outputs DIR then\n"
      "writes each output tensor as DIR/NAME.npy.\n"
      "--rtl pe_array runs every matmul through the verilated RTL array (a config of a\n"
      "built array size, e.g. tiny) and compares with the SystemC model alone (docs/rtl.md).\n"
      "Exit status 1 when the program deadlocks, with --check has a data race, or with\n"
      "--rtl the RTL computed a wrong result.\n"
      "--junit FILE also writes each phase's outcome as a JUnit XML report. While it\n"
      "simulates, a progress line shows on stderr when that is a terminal, after 2 s\n"
      "(--progress: always, from the start; --quiet: never).\n\n"
      "Example:\n"
      "  trnsim run --config trn2 --stats-json stats.json "
      "workloads/gemm-1024x1024x1024-bf16-trn2.trn");
  add_check_options(*cmd, opts->check);
  cmd->add_option("--stats-json", opts->stats_json,
                  "Write the statistics as JSON to this file ('-' for stdout)")
      ->type_name("FILE");
  cmd->add_flag("--check", opts->detect_races,
                "Also detect data races between engines (docs/checks.md)");
  CLI::Option* functional =
      cmd->add_flag("--functional", opts->functional,
                    "Also execute the data: tensors hold values and every instruction computes "
                    "(docs/numerics.md)");
  cmd->add_option("--dump-outputs", opts->dump_outputs,
                  "With --functional, write each output tensor as DIR/NAME.npy")
      ->type_name("DIR")
      ->needs(functional);
  add_rtl_options(*cmd, opts->rtl);
  CLI::Option* timeline =
      cmd->add_option("--timeline", opts->timeline,
                      "Write a Chrome/Perfetto trace-event timeline (JSON) of the run to this "
                      "file (docs/timeline.md)")
          ->type_name("FILE");
  cmd->add_option_function<std::string>(
         "--timeline-from",
         [opts](const std::string& t) {
           opts->window.from = parse_duration(t, "--timeline-from", true);
         },
         "Keep only what happens from this simulated time on (e.g. 20us)")
      ->type_name("TIME")
      ->needs(timeline);
  cmd->add_option_function<std::string>(
         "--timeline-to",
         [opts](const std::string& t) { opts->window.to = parse_duration(t, "--timeline-to"); },
         "Keep only what happens until this simulated time (e.g. 1.5ms)")
      ->type_name("TIME")
      ->needs(timeline);
  cmd->add_option("--timeline-max-events", opts->window.max_events,
                  "Stop adding slices and flows to the timeline after this many (default 1000000)")
      ->type_name("N")
      ->needs(timeline)
      ->check(CLI::PositiveNumber);
  add_progress_options(*cmd, opts->progress);
  add_junit_option(*cmd, opts->junit);
  on_selected(*cmd, ctx, [opts, &ctx] {
    PhaseLog log("trnsim.run", opts->check.trace);
    return run_logged(log, opts->junit, [&] { return run_trace(ctx, *opts, log); });
  });
}

}  // namespace trnsim::cli
