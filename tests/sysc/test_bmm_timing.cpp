// Generated batched GEMMs in the timing model: small cases complete, the batches pipeline
// (loads of batch b + 1 overlap the compute of batch b), batch=1 times exactly like `gen
// gemm`, and a large case lands near the tensor engine's bound.
#include <doctest/doctest.h>

#include <algorithm>

#include "config/config_loader.h"
#include "config/derived.h"
#include "gen/gemm.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {

config::SystemConfig trn2() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
}

gen::GemmOptions bmm(std::uint32_t batch, std::uint64_t m, std::uint64_t n, std::uint64_t k,
                     std::uint32_t cores = 1) {
  gen::GemmOptions o;
  o.batch = batch;
  o.m = m;
  o.n = n;
  o.k = k;
  o.cores = cores;
  return o;
}

double seconds(const gen::GemmOptions& o, const config::SystemConfig& cfg) {
  test::Run run = test::run_program(gen::gemm(o, cfg), cfg);
  REQUIRE(run.result.completed);
  return run.result.seconds;
}

// A core's DMA bandwidth: its engines', unless HBM is narrower.
double dma_bytes_per_s(const config::SystemConfig& cfg) {
  return std::min(config::dma_bandwidth_gb_s_per_core(cfg.dma), cfg.hbm.bandwidth_gb_s) * 1e9;
}

}  // namespace

TEST_CASE("bmm: small cases complete on trn2") {
  const config::SystemConfig cfg = trn2();
  for (const gen::GemmOptions& o :
       {bmm(3, 100, 300, 200), bmm(32, 128, 128, 64, 4), bmm(2, 257, 600, 130, 2)}) {
    INFO(o.batch, " x ", o.m, "x", o.n, "x", o.k, " on ", o.cores, " cores");
    CHECK(seconds(o, cfg) > 0);
  }
}

TEST_CASE("bmm: batch=1 takes exactly the time of gen gemm") {
  const config::SystemConfig cfg = trn2();
  gen::GemmOptions o = bmm(1, 257, 600, 130);
  const double batched = seconds(o, cfg);
  o.batch = 0;
  CHECK(batched == seconds(o, cfg));
}

// One 128x512x128 bf16 tile per batch. Alone, a batch is a chain: load AT and B (a DMA
// start latency, 1.3 us on trn2, plus the transfer), one matmul, one evacuation, one store
// (another start latency): t1 ~ 5 us, almost all latency. Run one batch after another
// without overlap, 8 batches would take 8 x t1. Pipelined, the latencies overlap and each
// further batch adds only what its busiest resource needs: its DMA traffic, AT 32 KiB + B
// 128 KiB + C 128 KiB = 288 KiB through 16 engines x 23 GB/s = 0.8 us, or the descriptor
// time of a queue (0.6 us), whichever is larger. Allowing 2x that per batch, t8 <= t1 + 7 x
// 1.6 us ~ 16 us, far below 8 x t1 ~ 40 us.
TEST_CASE("bmm: 8 batches of a small GEMM take well under 8 times one batch") {
  const config::SystemConfig cfg = trn2();
  const double t1 = seconds(bmm(1, 128, 512, 128), cfg);
  const double t8 = seconds(bmm(8, 128, 512, 128), cfg);
  const double bytes_per_batch = (128.0 * 128 + 128.0 * 512 + 128.0 * 512) * 2;
  const double per_batch =
      std::max(bytes_per_batch / dma_bytes_per_s(cfg), cfg.dma.descriptor_ns * 1e-9);
  MESSAGE("bmm 128x512x128 on trn2: batch 1 " << t1 * 1e6 << " us, batch 8 " << t8 * 1e6
                                              << " us, steady bound per batch " << per_batch * 1e6
                                              << " us");
  CHECK(t8 <= t1 + 7 * 2.0 * per_batch);
  CHECK(t8 < 0.5 * 8 * t1);
}

// Many attention-like products (32 of 128x128x64): one output tile each, so with 4 cores the
// batches are split 8 per core and the run takes well under the one-core time.
TEST_CASE("bmm: 4 cores split 32 small batches and finish faster than one") {
  const config::SystemConfig cfg = trn2();
  const double one = seconds(bmm(32, 128, 128, 64, 1), cfg);
  const double four = seconds(bmm(32, 128, 128, 64, 4), cfg);
  MESSAGE("bmm 32 x 128x128x64 on trn2: 1 core " << one * 1e6 << " us, 4 cores " << four * 1e6
                                                 << " us");
  CHECK(four < 0.5 * one);
}

// 8 batches of 1024x1024x512 bf16 on one core. Compute: 2 x 8 x 1024 x 1024 x 512 = 8.6
// GFLOP at the tensor engine's peak (2 x 128 x 128 x 1 bf16 column/cycle x clock: 78.6
// TFLOP/s on trn2) = 109 us. Traffic: AT and B once (8 x (1 MiB + 1 MiB)) and C once (8 x 2
// MiB) = 32 MiB through 368 GB/s of DMA = 91 us, under the compute time, so the bound is
// the compute. 1.25x leaves room for the first loads and last stores, which do not overlap
// compute, and the bank turnarounds between groups.
TEST_CASE("bmm: 8 x 1024x1024x512 bf16 on one trn2 core runs within 1.25x of the compute bound") {
  const config::SystemConfig cfg = trn2();
  const gen::GemmOptions o = bmm(8, 1024, 1024, 512);
  const double t = seconds(o, cfg);
  const double flops = 2.0 * o.batch * o.m * o.n * o.k;
  const double compute = flops / config::peak_bf16_flops_per_core(cfg);
  const double bytes = o.batch * (2.0 * (o.k * o.m + o.k * o.n) + 2.0 * o.m * o.n);
  const double bound = std::max(compute, bytes / dma_bytes_per_s(cfg));
  MESSAGE("bmm 8 x 1024x1024x512 on trn2: " << t * 1e6 << " us, bound " << bound * 1e6
                                            << " us (compute " << compute * 1e6 << " us)");
  CHECK(t >= bound * 0.999);
  CHECK(t <= bound * 1.25);
}
