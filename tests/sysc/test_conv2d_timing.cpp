// Generated convolutions in the timing model: small cases complete, a ResNet-like 3x3 conv
// lands near the tensor engine's bound, a 1x1 conv near its DMA bound.
#include <doctest/doctest.h>

#include <algorithm>

#include "config/config_loader.h"
#include "config/derived.h"
#include "gen/conv2d.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {

config::SystemConfig trn2() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
}

gen::Conv2dOptions conv(std::uint64_t n, std::uint64_t c, std::uint64_t f, std::uint64_t hw,
                        std::uint64_t k, std::uint64_t stride, std::uint64_t pad) {
  gen::Conv2dOptions o;
  o.batch = n;
  o.in_channels = c;
  o.out_channels = f;
  o.height = o.width = hw;
  o.kernel_h = o.kernel_w = k;
  o.stride = stride;
  o.padding = pad;
  return o;
}

struct Timed {
  double seconds = 0;
  double compute = 0;  // the tensor engine at peak
  double dma = 0;      // X, Wt and Y once through the core's DMA, plus one start latency
};

// The bounds, from the config: 2 * N * F * OH * OW * C * R * S flops at the bf16 peak per
// core (2 x 128 x 128 x 1 column/cycle x clock); every byte of X, Wt and Y once through the
// core's 16 DMA engines (16 x 23 GB/s = 368 GB/s on trn2, below HBM), plus one DMA start
// latency.
Timed timed(const gen::Conv2dOptions& o, const config::SystemConfig& cfg) {
  const gen::Conv2dPlan plan = gen::plan_conv2d(o, cfg);
  test::Run run = test::run_program(gen::conv2d(o, cfg), cfg);
  REQUIRE(run.result.completed);
  Timed t;
  t.seconds = run.result.seconds;
  const double flops = 2.0 * o.batch * o.out_channels * plan.out_h * plan.out_w * o.in_channels *
                       o.kernel_h * o.kernel_w;
  t.compute = flops / config::peak_bf16_flops_per_core(cfg);
  const double bytes =
      2.0 * (static_cast<double>(o.batch) * o.in_channels * o.height * o.width +
             static_cast<double>(o.kernel_h) * o.kernel_w * o.in_channels * o.out_channels +
             static_cast<double>(o.batch) * o.out_channels * plan.out_h * plan.out_w);
  const double bandwidth =
      std::min(config::dma_bandwidth_gb_s_per_core(cfg.dma), cfg.hbm.bandwidth_gb_s) * 1e9;
  t.dma = bytes / bandwidth + cfg.dma.start_latency_ns * 1e-9;
  return t;
}

}  // namespace

TEST_CASE("conv2d: small cases complete on trn2") {
  const config::SystemConfig cfg = trn2();
  for (gen::Conv2dOptions o : {conv(2, 20, 24, 9, 3, 2, 1), conv(1, 130, 140, 9, 3, 1, 2)}) {
    o.cores = 1;
    CHECK(timed(o, cfg).seconds > 0);
  }
  gen::Conv2dOptions two = conv(2, 64, 64, 28, 3, 1, 1);
  two.cores = 2;
  CHECK(timed(two, cfg).seconds > 0);
}

// ResNet's 3x3 stage-3 conv, N=1 C=F=256 56x56 padding 1: 3.70 GFLOP = 47.0 us at 78.6
// TFLOP/s; its 3.0 MiB of traffic take 9.9 us, so the tensor engine bounds it. Each block of
// 9 x 56 = 504 pixels runs 2 F tiles x 2 channel chunks x 9 taps = 36 matmuls of 504
// columns; the 7 blocks pipeline, but the weight loads and the first block's input before
// the first matmul, and the last block's evacuation and store after the last, are exposed
// (about 5 us), and a 504-column matmul uses 504/512 of a bank. 1.35x covers them.
TEST_CASE("conv2d: a 3x3 ResNet conv on one trn2 core runs within 1.35x of the compute bound") {
  const Timed t = timed(conv(1, 256, 256, 56, 3, 1, 1), trn2());
  MESSAGE("conv 3x3 256->256 56x56 on trn2: " << t.seconds * 1e6 << " us, compute bound "
                                              << t.compute * 1e6 << " us, DMA bound " << t.dma * 1e6
                                              << " us");
  CHECK(t.compute > t.dma);
  CHECK(t.seconds >= t.compute * 0.999);
  CHECK(t.seconds <= t.compute * 1.35);
}

// The 1x1 conv of the same size: 0.41 GFLOP = 5.2 us of tensor engine, but 3.1 MiB of X and
// Y = 9.0 us of DMA: DMA bound. The first load and the last store do not overlap anything
// and each block's 4 matmuls are short next to its transfers; within 2x.
TEST_CASE("conv2d: a 1x1 conv on one trn2 core runs within 2x of the DMA bound") {
  const Timed t = timed(conv(1, 256, 256, 56, 1, 1, 0), trn2());
  MESSAGE("conv 1x1 256->256 56x56 on trn2: " << t.seconds * 1e6 << " us, compute bound "
                                              << t.compute * 1e6 << " us, DMA bound " << t.dma * 1e6
                                              << " us");
  CHECK(t.dma > t.compute);
  CHECK(t.seconds >= t.dma * 0.999);
  CHECK(t.seconds <= t.dma * 2.0);
}
