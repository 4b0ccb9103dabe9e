// trnsim_bench_model: how fast the timing model simulates, and how much memory it takes.
// Run it through `scripts/bench.sh model`, which runs each workload in its own process so
// that each peak resident set is that workload's.
//
//   trnsim_bench_model --workload gemm|dma|mixed [--instructions N] [--repeat R]
//
//   gemm   the 4096 x 4096 x 4096 bf16 GEMM of `trnsim gen gemm` on one trn2 core
//          (compute-bound: the simulated-cycles-per-second target applies to it)
//   dma    a DMA-bound copy trace of N transfers (synthetic_trace.h), trn2
//   mixed  the GEMM-like mixed trace of N instructions on two trn2 cores (all engines)
//
// The timed part is what `trnsim run` does after parsing and checking: tensor placement,
// building the SystemC model, simulating with the statistics observer attached, and
// finishing the statistics. Time is the best of R runs. Parsing has its own benchmark.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "config/config_loader.h"
#include "gen/gemm.h"
#include "process_memory.h"
#include "stats/run_stats.h"
#include "synthetic_trace.h"
#include "sysc/system/simulation.h"
#include "trace/checker.h"
#include "trace/hbm_layout.h"
#include "trace/parser.h"

namespace {

using namespace trnsim;

constexpr double kTargetInstructionsPerSecond = 1e6;
constexpr double kTargetCyclesPerSecond = 1e8;  // on the compute-bound GEMM

struct Workload {
  std::string description;
  trace::Program program;
  std::string text;  // empty for programs built in memory
};

Workload make_workload(std::string_view name, std::uint64_t n, const config::SystemConfig& cfg) {
  Workload w;
  if (name == "gemm") {
    gen::GemmOptions o;
    o.m = o.n = o.k = 4096;
    w.description = "4096 x 4096 x 4096 bf16 GEMM, one trn2 core";
    w.program = gen::gemm(o, cfg);
    return w;
  }
  if (name == "dma") {
    w.description = fmt::format("{} DMA copies HBM <-> SBUF, one trn2 core", n);
    w.text = bench::dma_trace(n);
  } else {
    w.description = fmt::format("GEMM-like mixed trace of {} instructions, two trn2 cores", n);
    w.text = bench::synthetic_trace(n, 2);
  }
  w.program = trace::parse_trace(w.text, "synthetic.trn");
  return w;
}

struct Measurement {
  double wall = 0;
  sysc::SimulationResult result;
  std::uint64_t transfers = 0;
};

Measurement simulate_once(const trace::Program& program, const config::SystemConfig& cfg) {
  Measurement m;
  const auto start = std::chrono::steady_clock::now();
  const auto addresses = trace::assign_tensor_addresses(program, cfg.hbm, nullptr);
  stats::StatsCollector collector(program, cfg);
  m.result = sysc::simulate(program, cfg, addresses, {&collector});
  const stats::RunStats stats =
      collector.finish(m.result.seconds, m.result.completed, m.result.traffic);
  m.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.transfers = stats.dma_transfers;
  return m;
}

std::string verdict(bool ok) {
  return ok ? "ok" : "MISSED";
}

int run(int argc, char** argv) {
  std::string workload;
  std::uint64_t n = 1'000'000;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--workload" && has_value) {
      workload = argv[++i];
    } else if (arg == "--instructions" && has_value) {
      n = std::stoull(argv[++i]);
    } else if (arg == "--repeat" && has_value) {
      repeat = std::stoi(argv[++i]);
    } else {
      workload.clear();
      break;
    }
  }
  if ((workload != "gemm" && workload != "dma" && workload != "mixed") || repeat < 1 || n < 2) {
    std::cerr << "usage: trnsim_bench_model --workload gemm|dma|mixed [--instructions N] "
                 "[--repeat R]\n";
    return 2;
  }

  const config::SystemConfig cfg = config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
  const std::uint64_t rss_start = bench::resident_bytes();
  Workload w = make_workload(workload, n, cfg);
  DiagnosticList diags;
  if (!trace::check_program(w.program, cfg, w.text, diags)) {
    diags.print(std::cerr);
    return 1;
  }
  std::string().swap(w.text);  // the program is what a run keeps
  const std::uint64_t rss_program = bench::resident_bytes();
  bench::reset_peak_resident();

  Measurement best;
  best.wall = 1e300;
  for (int r = 0; r < repeat; ++r) {
    Measurement m = simulate_once(w.program, cfg);
    if (!m.result.completed) {
      std::cerr << "trnsim_bench_model: the workload deadlocked\n";
      return 1;
    }
    if (m.wall < best.wall) best = std::move(m);
  }
  const std::uint64_t peak = bench::peak_resident_bytes();

  const double instructions = static_cast<double>(w.program.instructions.size());
  const double cycles = best.result.seconds * cfg.core.clock_ghz * 1e9;
  const double ips = instructions / best.wall;
  const double cps = cycles / best.wall;
  fmt::print("timing-model benchmark: {}\n", w.description);
  fmt::print("  instructions             {}\n", w.program.instructions.size());
  fmt::print("  DMA instructions         {}\n", best.transfers);
  fmt::print("  simulated                {:.3f} us = {:.0f} core cycles\n",
             best.result.seconds * 1e6, cycles);
  fmt::print("  wall seconds (best/{})    {:.4f}\n", repeat, best.wall);
  fmt::print("  instructions/second      {:.2f} M   target >= {:.0f} M   {}\n", ips / 1e6,
             kTargetInstructionsPerSecond / 1e6, verdict(ips >= kTargetInstructionsPerSecond));
  if (workload == "gemm") {
    fmt::print("  simulated cycles/second  {:.3g}   target >= {:.0e}   {}\n", cps,
               kTargetCyclesPerSecond, verdict(cps >= kTargetCyclesPerSecond));
  } else {
    fmt::print("  simulated cycles/second  {:.3g}\n", cps);
  }
  fmt::print("  peak RSS                 {:.1f} MB (while simulating)\n",
             static_cast<double>(peak) / 1e6);
  fmt::print("  program                  {:.1f} bytes/instruction (RSS growth once parsed)\n",
             static_cast<double>(rss_program - rss_start) / instructions);
  fmt::print("  simulation               {:.1f} bytes/instruction (peak RSS above that)\n",
             (static_cast<double>(peak) - static_cast<double>(rss_program)) / instructions);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "trnsim_bench_model: " << e.what() << "\n";
    return 1;
  }
}
