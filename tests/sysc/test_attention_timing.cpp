// Generated flash attention in the timing model: small cases complete, and a realistic one
// runs within a stated factor of the tensor engine's compute bound.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "config/config_loader.h"
#include "gen/attention.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {
config::SystemConfig trn2() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
}

// The busiest compute engine's busy seconds on core 0, for the message.
std::string engine_busy(const stats::RunStats& s) {
  std::string out;
  for (const stats::StreamStats& st : s.streams) {
    if (st.core_index != 0 || st.engine == isa::Engine::kDma) continue;
    out += fmt::format(" {}={:.1f}us", isa::engine_name(st.engine), st.busy_seconds * 1e6);
  }
  return out;
}
}  // namespace

TEST_CASE("attention: small cases complete on trn2") {
  const config::SystemConfig cfg = trn2();
  for (bool causal : {false, true}) {
    gen::AttentionOptions o;
    o.seq = 256;
    o.head_dim = 64;
    o.heads = 2;
    o.cores = 2;
    o.causal = causal;
    INFO("causal=" << causal);
    test::Run run = test::run_program(gen::attention(o, cfg), cfg);
    CHECK(run.result.completed);
    CHECK(run.result.seconds > 0);
  }
}

// The compute bound of one head: 4 L^2 d FLOPs (S = Q K^T and P V, 2 L^2 d each) on one
// core's 128 x 128 array at 2.4 GHz, one bf16 moving column per cycle: 2 * 128 * 128 * 2.4e9
// = 78.6 TFLOP/s. d = 128: L = 2048 is 2.15 GFLOP, 27.3 us; L = 8192 is 34.4 GFLOP, 437 us.
// The tensor engine's own floor is higher: per step of 128 queries x 512 keys it also
// transposes P (four 128-column transposes), so it streams 512 (Q K^T) + 512 (transposes) +
// 4 x 128 (P V) = 1536 columns against the 1024 of the useful matmuls: 1.5x the bound. The
// other engines stay below it (per step the scalar engine's exp of 512 elements at 1.2 GHz,
// 0.43 us, and the vector engine's row max over 512 fp32 at 0.96 GHz, 0.53 us, plus the P^T
// copy, against the tensor engine's 0.64 us), so with enough steps in flight the run is
// tensor-engine bound near 1.5x: L = 8192 measured 1.52x; 2x leaves room for the engines'
// fixed costs. L = 2048 has 64 steps instead of 1024, so the pipeline's fill and drain and
// the throttled start (half rate, ramping over 3 us) weigh more: measured 1.82x, allowed
// 2.5x.
TEST_CASE("attention: d=128 on trn2 runs near the tensor engine's bound") {
  const config::SystemConfig cfg = trn2();
  struct Case {
    std::uint64_t seq;
    double factor;
  };
  for (const Case& c : {Case{2048, 2.5}, Case{8192, 2.0}}) {
    gen::AttentionOptions o;
    o.seq = c.seq;
    o.head_dim = 128;
    test::Run run = test::run_program(gen::attention(o, cfg), cfg);
    REQUIRE(run.result.completed);
    const double peak = 2.0 * cfg.tensor.rows * cfg.tensor.cols * cfg.tensor.clock_ghz * 1e9 *
                        cfg.tensor.moving_columns_per_cycle.bf16;
    const double bound = gen::attention_flops(o) / peak;
    MESSAGE("attention L=" << c.seq << " d=128 bf16 on trn2: " << run.result.seconds * 1e6
                           << " us, bound " << bound * 1e6 << " us;" << engine_busy(run.stats));
    CHECK(run.result.seconds >= bound * 0.999);
    CHECK(run.result.seconds <= bound * c.factor);
  }
}
