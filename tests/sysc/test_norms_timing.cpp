// Generated softmax, layernorm and rmsnorm in the timing model: they complete, and a large
// case runs near the time its DMA traffic alone needs.
#include <doctest/doctest.h>

#include <algorithm>

#include "config/config_loader.h"
#include "config/derived.h"
#include "gen/norms.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {
config::SystemConfig trn2() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
}
}  // namespace

TEST_CASE("norms: a small case of each kind completes on trn2") {
  const config::SystemConfig cfg = trn2();
  for (gen::NormKind kind :
       {gen::NormKind::kSoftmax, gen::NormKind::kLayerNorm, gen::NormKind::kRmsNorm}) {
    INFO(gen::norm_name(kind));
    gen::NormOptions o;
    o.kind = kind;
    o.rows = 300;
    o.cols = 96;
    test::Run run = test::run_program(gen::norm(o, cfg), cfg);
    CHECK(run.result.completed);
    CHECK(run.result.seconds > 0);
  }
}

// The DMA bound of a norm: every byte of X is loaded and every byte of Y stored through the
// core's DMA engines (16 x 23 GB/s = 368 GB/s on trn2, below HBM's 2.9 TB/s), so 8192 x
// 4096 bf16 rows take 2 x 64 MiB / 368 GB/s = 365 us, plus one DMA start latency. The
// compute per 128-row tile is below its DMA time on every engine (the scalar engine's one
// pass: 4096 elements at 1.2 GHz = 3.4 us, against 2 MiB / 368 GB/s = 5.7 us of transfers),
// so with double buffering the run should land near the bound; 2x leaves room for the
// parameter loads, the first load and last store that do not overlap compute, and the
// engines' fixed costs.
TEST_CASE("norms: 8192 x 4096 bf16 rows on trn2 run within 2x of the DMA bound") {
  const config::SystemConfig cfg = trn2();
  for (gen::NormKind kind :
       {gen::NormKind::kSoftmax, gen::NormKind::kLayerNorm, gen::NormKind::kRmsNorm}) {
    INFO(gen::norm_name(kind));
    gen::NormOptions o;
    o.kind = kind;
    o.rows = 8192;
    o.cols = 4096;
    test::Run run = test::run_program(gen::norm(o, cfg), cfg);
    REQUIRE(run.result.completed);
    const double bytes = 2.0 * 8192 * 4096 * 2;
    const double bandwidth =
        std::min(config::dma_bandwidth_gb_s_per_core(cfg.dma), cfg.hbm.bandwidth_gb_s) * 1e9;
    const double bound = bytes / bandwidth + cfg.dma.start_latency_ns * 1e-9;
    MESSAGE(gen::norm_name(kind) << " 8192x4096 bf16 on trn2: " << run.result.seconds * 1e6
                                 << " us, DMA bound " << bound * 1e6 << " us");
    CHECK(run.result.seconds >= bound * 0.999);
    CHECK(run.result.seconds <= bound * 2.0);
  }
}
