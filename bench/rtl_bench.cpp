// trnsim_bench_rtl: how fast the verilated pe_array runs, next to the SystemC timing model
// on the same stimulus. Run it through `scripts/bench.sh rtl`.
//
//   trnsim_bench_rtl --config FILE [--config FILE ...] [--matmuls N] [--moving T]
//
// For each config (its tensor.rows x tensor.cols must be a verilated size of this build):
// N full-fold matmuls (K = rows, M = cols, T moving vectors) back to back, through the
// verilated array cycle by cycle (cosim::PeArrayHarness), once int8 and once bf16 (the
// same cycles; the bf16 datapath may cost more per cycle), and once as a trace through the
// SystemC model with the weight load in the foreground (as the RTL does it).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "config/config_loader.h"
#include "pe_array_harness.h"
#include "rtl/pe_array_models.h"
#include "sysc/system/simulation.h"
#include "trace/checker.h"
#include "trace/hbm_layout.h"
#include "trace/parser.h"

namespace {

using namespace trnsim;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <typename Model>
double bench_rtl(cosim::PeArrayFormat format, std::uint32_t rows, std::uint32_t cols,
                 std::uint64_t matmuls, std::uint32_t moving) {
  std::mt19937_64 rng(1);
  const bool bf16 = format == cosim::PeArrayFormat::kBf16;
  // int8: any byte; bf16: magnitudes between 2^-8 and 2^8, either sign.
  const auto value = [&] {
    const auto r = rng();
    return bf16 ? static_cast<std::uint16_t>((r & 0x807F) | ((119 + r % 16) << 7))
                : static_cast<std::uint16_t>(r & 0xFF);
  };
  cosim::PeArrayMatmul mm{format, rows, cols, {}, {}};
  mm.stationary.assign(rows, std::vector<std::uint16_t>(cols));
  for (auto& row : mm.stationary)
    for (auto& v : row)
      v = value();
  mm.moving.assign(moving, std::vector<std::uint16_t>(rows));
  for (auto& row : mm.moving)
    for (auto& v : row)
      v = value();

  auto context = std::make_unique<VerilatedContext>();
  auto model = std::make_unique<Model>(context.get());
  cosim::PeArrayHarness<Model> harness(*model);
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < matmuls; ++i)
    harness.run(mm);
  const double wall = seconds_since(start);
  model->final();
  const double cycles = static_cast<double>(harness.cycle_count());
  fmt::print(
      "  verilated pe_array {} {:>9.0f} cycles in {:.4f} s  {:>9.3f} M cycles/s  {:>10.0f} "
      "matmuls/s\n",
      bf16 ? "bf16" : "int8", cycles, wall, cycles / wall / 1e6,
      static_cast<double>(matmuls) / wall);
  return cycles;
}

double bench_systemc(config::SystemConfig cfg, std::uint64_t matmuls, std::uint32_t moving) {
  cfg.tensor.background_weight_load = false;  // as pe_array loads its weights
  cfg.tensor.psum_write_cycles = 0;
  cfg.tensor.first_use_init_cycles = 0;
  std::string text = ".trace 1\n";
  for (std::uint64_t i = 0; i < matmuls; ++i) {
    text += fmt::format(
        "pe: matmul psum[0:{0}]@bank{1}.fp32[{2}], sbuf[0:{3}]@0x0.bf16[{0}], "
        "sbuf[0:{3}]@0x1000.bf16[{2}]\n",
        cfg.tensor.cols, i % cfg.psum.banks, moving, cfg.tensor.rows);
  }
  const trace::Program program = trace::parse_trace(text, "rtl-bench.trn");
  DiagnosticList diags;
  if (!trace::check_program(program, cfg, text, diags)) {
    diags.print(std::cerr);
    throw std::runtime_error("the benchmark trace does not check");
  }
  const auto start = std::chrono::steady_clock::now();
  const auto addresses = trace::assign_tensor_addresses(program, cfg.hbm, nullptr);
  const sysc::SimulationResult result = sysc::simulate(program, cfg, addresses);
  const double wall = seconds_since(start);
  const double cycles = result.seconds * cfg.tensor.clock_ghz * 1e9;
  fmt::print(
      "  SystemC timing model      {:>9.0f} cycles in {:.4f} s  {:>9.3f} M cycles/s  {:>10.0f} "
      "matmuls/s\n",
      cycles, wall, cycles / wall / 1e6, static_cast<double>(matmuls) / wall);
  return cycles;
}

int run(int argc, char** argv) {
  std::vector<std::string> configs;
  std::uint64_t matmuls = 2000;
  std::uint32_t moving = 256;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) {
      configs.emplace_back(argv[++i]);
    } else if (arg == "--matmuls" && has_value) {
      matmuls = std::stoull(argv[++i]);
    } else if (arg == "--moving" && has_value) {
      moving = static_cast<std::uint32_t>(std::stoul(argv[++i]));
    } else {
      configs.clear();
      break;
    }
  }
  if (configs.empty() || matmuls == 0 || moving == 0) {
    std::cerr << "usage: trnsim_bench_rtl --config FILE [--config FILE ...] [--matmuls N] "
                 "[--moving T]\n";
    return 2;
  }
  for (const std::string& path : configs) {
    const config::SystemConfig cfg = config::load_config(path);
    const std::uint32_t rows = cfg.tensor.rows;
    const std::uint32_t cols = cfg.tensor.cols;
    fmt::print("pe_array {}x{}: {} matmuls of {} moving vectors, back to back ({})\n", rows, cols,
               matmuls, moving, path);
    double rtl_cycles = -1;
#define TRNSIM_BENCH_MODEL(R, C, Model)                                                      \
  if (rows == (R) && cols == (C)) {                                                          \
    rtl_cycles = bench_rtl<Model>(cosim::PeArrayFormat::kInt8, rows, cols, matmuls, moving); \
    bench_rtl<Model>(cosim::PeArrayFormat::kBf16, rows, cols, matmuls, moving);              \
  }
    TRNSIM_PE_ARRAY_MODELS(TRNSIM_BENCH_MODEL)
#undef TRNSIM_BENCH_MODEL
    if (rtl_cycles < 0) fmt::print("  (no verilated pe_array of this size in this build)\n");
    const double model_cycles = bench_systemc(cfg, matmuls, moving);
    // The benchmark asserts nothing, but a difference here means the cross-check would fail.
    if (rtl_cycles >= 0 && std::abs(rtl_cycles - model_cycles) > 0.5)
      fmt::print("  the cycle counts differ: run the cosim tests\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "trnsim_bench_rtl: " << e.what() << "\n";
    return 1;
  }
}
