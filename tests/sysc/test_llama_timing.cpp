// Generated Llama decoder layers in the timing model: small ones complete, and realistic
// prefill and decode layers land within a stated factor of their bounds (the tensor
// engine's for prefill, the DMA engines' for decode).
#include <doctest/doctest.h>

#include <algorithm>

#include <fmt/format.h>

#include "config/config_loader.h"
#include "config/derived.h"
#include "gen/attention.h"
#include "gen/llama.h"
#include "sim_harness.h"

using namespace trnsim;

namespace {
config::SystemConfig trn2() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn2.yaml");
}

gen::LlamaOptions layer(std::uint64_t tokens, std::uint64_t hidden, std::uint64_t heads,
                        std::uint64_t ffn, std::uint64_t cache = 0) {
  gen::LlamaOptions o;
  o.tokens = tokens;
  o.hidden = hidden;
  o.heads = heads;
  o.ffn = ffn;
  o.decode = cache > 0;
  o.cache = cache;
  return o;
}

double seconds(const gen::LlamaOptions& o, const config::SystemConfig& cfg) {
  test::Run run = test::run_program(gen::llama_layer(o, cfg), cfg);
  REQUIRE(run.result.completed);
  return run.result.seconds;
}

// Each stage's time, by difference of the layers cut after it and before it.
std::string stage_times(gen::LlamaOptions o, const config::SystemConfig& cfg) {
  std::string out;
  double before = 0;
  const std::vector<std::string> names = gen::llama_stage_names(o);
  for (std::uint32_t n = 1; n <= names.size(); ++n) {
    o.stages = n;
    const double t = seconds(o, cfg);
    out += fmt::format(" {}={:.1f}us", names[n - 1], (t - before) * 1e6);
    before = t;
  }
  return out;
}
}  // namespace

TEST_CASE("llama-layer: small prefill and decode layers complete on trn2") {
  const config::SystemConfig cfg = trn2();
  for (const gen::LlamaOptions& o :
       {layer(128, 256, 2, 512), layer(200, 256, 2, 512), layer(1, 256, 2, 512, 256)}) {
    INFO("T=" << o.tokens << " decode=" << o.decode);
    CHECK(seconds(o, cfg) > 0);
  }
}

// Prefill of 512 tokens through a D=1024, 8-head, F=2816 layer on one trn2 core. The matmuls
// do 2 T (4 D^2 + 3 D F) = 12.9 GFLOP in the projections and the MLP, plus attention's
// 4 d (T^2/2 + T/2) per head = 0.54 GFLOP (causal): 13.4 GFLOP at the tensor engine's bf16
// peak (128 x 128 MACs at 2.4 GHz, 78.6 TFLOP/s) is 171 us. Its DMA traffic, the weights
// (2 B x (4 D^2 + 3 D F) = 25.7 MB) plus activations (~20 MB), needs ~125 us at 368 GB/s,
// less. The stages run one after another (stages.h), each with its pipeline's fill and drain
// (a GEMM's first loads, attention's first blocks, the MLP's first weights) not overlapped
// with its neighbours, and the norms and residual copies (DMA-bound, ~10 us together) add to
// it: measured 2.1x; 2.5x is the stated bound.
TEST_CASE("llama-layer: a 512-token prefill runs within 2.5x of the tensor engine's bound") {
  const config::SystemConfig cfg = trn2();
  const gen::LlamaOptions o = layer(512, 1024, 8, 2816);
  gen::AttentionOptions a;
  a.seq = 512;
  a.head_dim = 128;
  a.heads = 8;
  a.causal = true;
  const double t = 512, d = 1024, f = 2816;
  const double flops = 2 * t * (4 * d * d + 3 * d * f) + gen::attention_flops(a);
  const double bound = flops / config::peak_bf16_flops_per_core(cfg);
  const double s = seconds(o, cfg);
  MESSAGE(
      fmt::format("prefill T=512 D=1024 NH=8 F=2816 on trn2: {:.1f} us, bound {:.1f} us "
                  "({:.2f}x); stages:{}",
                  s * 1e6, bound * 1e6, s / bound, stage_times(o, cfg)));
  CHECK(s >= bound);
  CHECK(s <= 2.5 * bound);
}

// Decode of one token after 1024 cached, same layer: every weight is read once for one
// token (2 B x (4 D^2 + 3 D F) = 25.7 MB) and attention reads the cache (K and V of
// S + 128 positions, the new token's tile padded: 2 x 2 B x D x 1152 = 4.7 MB); 30.4 MB at
// the core's DMA rate (16 engines x 23 GB/s = 368 GB/s) is 83 us. The compute is tiny. Per
// stage, the first loads and the last stores do not overlap anything (a DMA start latency of
// 1.3 us each, over 14 stages), and the small stages run below the DMA rate: measured 1.9x;
// 2.5x is the stated bound.
TEST_CASE("llama-layer: a decode step runs within 2.5x of the DMA bound") {
  const config::SystemConfig cfg = trn2();
  const gen::LlamaOptions o = layer(1, 1024, 8, 2816, 1024);
  const double d = 1024, f = 2816, keys = 1024 + 128;
  const double bytes = 2 * (4 * d * d + 3 * d * f) + 2 * 2 * d * keys;
  const double bandwidth =
      std::min(config::dma_bandwidth_gb_s_per_core(cfg.dma), cfg.hbm.bandwidth_gb_s) * 1e9;
  const double bound = bytes / bandwidth;
  const double s = seconds(o, cfg);
  MESSAGE(
      fmt::format("decode T=1 S=1024 D=1024 NH=8 F=2816 on trn2: {:.1f} us, bound {:.1f} "
                  "us ({:.2f}x); stages:{}",
                  s * 1e6, bound * 1e6, s / bound, stage_times(o, cfg)));
  CHECK(s >= bound);
  CHECK(s <= 2.5 * bound);
}
