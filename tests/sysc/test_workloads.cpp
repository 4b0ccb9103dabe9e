// Whole workloads against the bounds the configuration implies.
#include <doctest/doctest.h>

#include "config/config_loader.h"
#include "config/derived.h"
#include "gen/gemm.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {
config::SystemConfig trn2() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
}
}  // namespace

TEST_CASE(
    "a 4096 x 4096 x 4096 bf16 GEMM on one trn2 core reaches 80-100 % of tensor-engine peak") {
  const config::SystemConfig cfg = trn2();
  gen::GemmOptions o;
  o.m = o.n = o.k = 4096;
  test::Run run = test::run_program(gen::gemm(o, cfg), cfg);
  REQUIRE(run.result.completed);
  // Peak: 2 * 128 * 128 * 1 column/cycle * 2.4 GHz = 78.6 TFLOP/s; the GEMM is
  // 2 * 4096^3 = 137.4 GFLOP, so at least 1.75 ms.
  const double peak_seconds =
      2.0 * 4096.0 * 4096.0 * 4096.0 / config::peak_bf16_flops_per_core(cfg);
  const double mfu = peak_seconds / run.result.seconds;
  MESSAGE("GEMM 4096^3 on trn2: " << run.result.seconds * 1e3 << " ms, MFU " << mfu * 100 << " %");
  CHECK(run.stats.mfu == doctest::Approx(mfu).epsilon(1e-9));
  CHECK(mfu >= 0.80);
  CHECK(mfu <= 1.0);
}

// What separates the GEMV from its bound, all of it DMA engine time (the engines are busy
// ~95 % of the run): each 128-partition B load pays 8 descriptor elements of 8 ns per
// engine on top of its 2.85 us of streaming (~2 %); the vector x arrives as 4096 scattered
// 2-byte elements, one per partition per K tile (~2 %); and after the last B tile the
// results still go PSUM -> SBUF -> HBM, behind another DMA start latency (~3 %). It lands
// at about 100.4 us against 92.5 us.
TEST_CASE("a memory-bound 1 x 4096 x 4096 GEMV lands within 10 % of the bound the config implies") {
  const config::SystemConfig cfg = trn2();
  gen::GemmOptions o;
  o.m = 1;
  o.n = 4096;
  o.k = 4096;
  test::Run run = test::run_program(gen::gemm(o, cfg), cfg);
  REQUIRE(run.result.completed);
  // The bound: B (K x N bf16 = 32 MiB) must cross from HBM through the core's DMA
  // engines: 16 engines x 23 GB/s = 368 GB/s, below the HBM's 2900 GB/s, so
  // 33,554,432 B / 368 GB/s = 91.2 us, plus the first transfer's start latency.
  const double bytes = 4096.0 * 4096.0 * 2;
  const double bandwidth =
      std::min(config::dma_bandwidth_gb_s_per_core(cfg.dma), cfg.hbm.bandwidth_gb_s) * 1e9;
  const double bound = bytes / bandwidth + cfg.dma.start_latency_ns * 1e-9;
  MESSAGE("GEMV 1x4096x4096 on trn2: " << run.result.seconds * 1e6 << " us, bound " << bound * 1e6
                                       << " us");
  CHECK(run.result.seconds >= bound * 0.999);
  CHECK(run.result.seconds <= bound * 1.10);
}
