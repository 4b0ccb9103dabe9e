// Generated SwiGLU MLPs in the timing model: small cases complete, a prefill-like case runs
// near the tensor engine's compute bound, and a decode-like case near the time its weights
// take to stream in.
#include <doctest/doctest.h>

#include <algorithm>

#include "config/config_loader.h"
#include "config/derived.h"
#include "gen/mlp.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {
config::SystemConfig trn2() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
}

gen::MlpOptions shape(std::uint64_t t, std::uint64_t h, std::uint64_t f, std::uint32_t cores = 1) {
  gen::MlpOptions o;
  o.tokens = t;
  o.hidden = h;
  o.ffn = f;
  o.cores = cores;
  return o;
}
}  // namespace

TEST_CASE("mlp: small cases complete on trn2") {
  const config::SystemConfig cfg = trn2();
  for (const gen::MlpOptions& o :
       {shape(200, 200, 300), shape(4, 256, 384), shape(600, 128, 256, 2)}) {
    INFO("T=" << o.tokens << " H=" << o.hidden << " F=" << o.ffn << " cores=" << o.cores);
    test::Run run = test::run_program(gen::mlp(o, cfg), cfg);
    CHECK(run.result.completed);
    CHECK(run.result.seconds > 0);
  }
}

// The compute bound: 6 T H F flops (three GEMMs of 2 T H F each) on one core's tensor
// engine, which does tensor.rows x tensor.cols multiply-adds per moving column and
// moving_columns_per_cycle.bf16 columns per cycle at tensor.clock_ghz: on trn2 128 x 128 x
// 2 x 1.0 x 2.4 GHz = 78.6 Tflop/s, so T=512 H=1024 F=2048 (6.4 Gflop) needs 82 us. The
// weights (3 H F bf16 = 12.6 MB) stream through the core's DMA engines (16 x 23 GB/s =
// 368 GB/s) in 34 us, well under that, so compute is the bound. Every matmul uses the full
// 128 x 128 array and 512 moving columns, so the run should land near it: 1.25x leaves room
// for the first block's loads and the last tiles' evacuation and stores, which do not
// overlap matmuls.
TEST_CASE("mlp: T=512 H=1024 F=2048 bf16 on trn2 runs within 1.25x of the compute bound") {
  const config::SystemConfig cfg = trn2();
  const gen::MlpOptions o = shape(512, 1024, 2048);
  test::Run run = test::run_program(gen::mlp(o, cfg), cfg);
  REQUIRE(run.result.completed);
  const double flops = 6.0 * 512 * 1024 * 2048;
  const double flops_per_s = 2.0 * cfg.tensor.rows * cfg.tensor.cols *
                             cfg.tensor.moving_columns_per_cycle.bf16 * cfg.tensor.clock_ghz * 1e9;
  const double bound = flops / flops_per_s;
  MESSAGE("mlp 512x1024x2048 bf16 on trn2: " << run.result.seconds * 1e6 << " us, compute bound "
                                             << bound * 1e6 << " us");
  CHECK(run.result.seconds >= bound * 0.999);
  CHECK(run.result.seconds <= bound * 1.25);
}

// Llama-7B-like prefill, T=2048 H=4096 F=11008 (554 Gflop: 7.05 ms at the 78.6 Tflop/s
// above) on one core: four blocks of 512 tokens, 1.04 GB of weight traffic (3 H F bf16 per
// block) at 368 GB/s = 2.9 ms, far below the compute time, so the startup and tail are all
// that separate the run from the bound: 1.05x.
TEST_CASE("mlp: T=2048 H=4096 F=11008 bf16 on trn2 runs within 1.05x of the compute bound") {
  const config::SystemConfig cfg = trn2();
  const gen::MlpOptions o = shape(2048, 4096, 11008);
  test::Run run = test::run_program(gen::mlp(o, cfg), cfg);
  REQUIRE(run.result.completed);
  const double flops = 6.0 * 2048 * 4096 * 11008;
  const double flops_per_s = 2.0 * cfg.tensor.rows * cfg.tensor.cols *
                             cfg.tensor.moving_columns_per_cycle.bf16 * cfg.tensor.clock_ghz * 1e9;
  const double bound = flops / flops_per_s;
  MESSAGE("mlp 2048x4096x11008 bf16 on trn2: " << run.result.seconds * 1e6 << " us, compute bound "
                                               << bound * 1e6 << " us");
  CHECK(run.result.seconds >= bound * 0.999);
  CHECK(run.result.seconds <= bound * 1.05);
}

// Decode: 16 tokens make each matmul short (16 moving columns), so the tensor engine is
// idle most of the time and the bound is streaming the weights: 3 H F bf16 bytes through
// one core's DMA engines (16 x 23 GB/s = 368 GB/s on trn2, below HBM's 2.9 TB/s), plus one
// DMA start latency: for H=4096 F=11008 (Llama 7B), 270.5 MB in 736 us. Gate and up tiles
// of 16 tokens are packed 32 to a PSUM bank, so F groups of 16 tiles load 4 KiB weight rows
// per partition, where a DMA's per-row costs are small; 1.15x leaves room for them and for
// the first XT loads and the last stores.
TEST_CASE(
    "mlp: T=16 H=4096 F=11008 bf16 on trn2 runs within 1.15x of the weight-streaming "
    "bound") {
  const config::SystemConfig cfg = trn2();
  const gen::MlpOptions o = shape(16, 4096, 11008);
  test::Run run = test::run_program(gen::mlp(o, cfg), cfg);
  REQUIRE(run.result.completed);
  const double bytes = 3.0 * 4096 * 11008 * 2;
  const double bandwidth =
      std::min(config::dma_bandwidth_gb_s_per_core(cfg.dma), cfg.hbm.bandwidth_gb_s) * 1e9;
  const double bound = bytes / bandwidth + cfg.dma.start_latency_ns * 1e-9;
  MESSAGE("mlp 16x4096x11008 bf16 on trn2: " << run.result.seconds * 1e6 << " us, weight bound "
                                             << bound * 1e6 << " us");
  CHECK(run.result.seconds >= bound * 0.999);
  CHECK(run.result.seconds <= bound * 1.15);
}
