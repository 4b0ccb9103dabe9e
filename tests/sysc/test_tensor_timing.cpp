// The tensor engine's cycle formulas and their sequencing in time.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "config/config_loader.h"
#include "sim_harness.h"
#include "sysc/tensor/tensor_timing.h"

using namespace trnsim;

namespace {

config::SystemConfig trn1() {
  return config::load_config(TRNSIM_SOURCE_DIR "/configs/trn1.yaml");
}

// A textbook weight-stationary array: foreground weight load, one row per cycle, one
// moving column per cycle, no start-up or PSUM-write cost.
config::SystemConfig textbook() {
  config::SystemConfig cfg;
  cfg.tensor.background_weight_load = false;
  cfg.tensor.weight_load_rows_per_cycle = 1;
  cfg.tensor.moving_columns_per_cycle.bf16 = 1;
  cfg.tensor.first_use_init_cycles = 0;
  cfg.tensor.psum_write_cycles = 0;
  return cfg;
}

}  // namespace

TEST_CASE("matmul on a textbook R x C array takes 2R + C + T - 2 cycles per fold") {
  // R = C = 128 (K = R, M = C: the fold uses the whole array), T = 200 moving columns.
  // Weights shift in one row per cycle: R cycles. The first moving column enters at cycle
  // R; column t enters at R + t, so the last (t = T - 1) at R + T - 1. It then crosses
  // R - 1 more rows and C - 1 more columns of PEs, one per cycle, and its result leaves
  // the bottom-right PE at (R + T - 1) + (R - 1) + (C - 1) + 1 = 2R + C + T - 2.
  // = 256 + 128 + 200 - 2 = 582 cycles at 2.4 GHz.
  const config::SystemConfig cfg = textbook();
  const auto c = sysc::matmul_cycles(cfg.tensor, {128, 128, 200, isa::DType::kBf16});
  CHECK(sysc::matmul_isolated_latency(c) == doctest::Approx(582));

  test::Run run = test::run_trace(R"(.trace 1
pe: matmul psum[0:128]@bank0.fp32[200], sbuf[0:128]@0x0.bf16[128], sbuf[0:128]@0x1000.bf16[200]
)",
                                  cfg);
  CHECK(test::cycles(run.recorder.completed.at(0).complete, cfg.tensor.clock_ghz) ==
        doctest::Approx(582));

  // Two folds back to back: without background weight load the second cannot load its
  // weights before the first has drained, so it completes 582 cycles after the first.
  test::Run two = test::run_trace(R"(.trace 1
pe: matmul psum[0:128]@bank0.fp32[200], sbuf[0:128]@0x0.bf16[128], sbuf[0:128]@0x1000.bf16[200]
pe: matmul psum[0:128]@bank1.fp32[200], sbuf[0:128]@0x0.bf16[128], sbuf[0:128]@0x1000.bf16[200]
)",
                                  cfg);
  CHECK(test::cycles(two.recorder.completion_of_line(two.program, 3).complete,
                     cfg.tensor.clock_ghz) == doctest::Approx(2 * 582));
}

TEST_CASE("back-to-back matmuls issue every max(N, 64) cycles on trn1 defaults") {
  const config::SystemConfig cfg = trn1();
  REQUIRE(cfg.tensor.background_weight_load);
  for (std::uint32_t n : {512u, 200u, 64u, 32u, 8u}) {
    CAPTURE(n);
    std::string text = ".trace 1\n";
    for (int i = 0; i < 4; ++i) {
      text += fmt::format(
          "pe: matmul psum[0:128]@bank{}.fp32[{}], sbuf[0:128]@0x0.bf16[128], "
          "sbuf[0:128]@0x1000.bf16[{}]\n",
          i, n, n);
    }
    test::Run run = test::run_trace(text, cfg);
    REQUIRE(run.recorder.issued.size() == 4);
    // Issue k + 1 follows issue k after the moving port frees: max(min(64, M = 128), N)
    // = max(64, N) cycles; the next weight load (K / (1 row * 4 fast) = 32 cycles) is
    // hidden behind it.
    for (int k = 0; k + 1 < 4; ++k) {
      const double gap = run.recorder.issued[k + 1].issue - run.recorder.issued[k].issue;
      CHECK(test::cycles(gap, cfg.tensor.clock_ghz) == doctest::Approx(std::max(64u, n)));
    }
    // The first waits for the first-use init (64) and its own weight load (32 cycles).
    CHECK(test::cycles(run.recorder.issued[0].issue, cfg.tensor.clock_ghz) ==
          doctest::Approx(64 + 32));
  }
}

TEST_CASE("fp32 matmuls stream four times slower than bf16") {
  config::SystemConfig cfg;  // trn2 defaults: fp32 0.25 columns per cycle
  test::Run run = test::run_trace(R"(.trace 1
pe: matmul psum[0:128]@bank0.fp32[256], sbuf[0:128]@0x0.fp32[128], sbuf[0:128]@0x1000.fp32[256]
pe: matmul psum[0:128]@bank1.fp32[256], sbuf[0:128]@0x0.fp32[128], sbuf[0:128]@0x1000.fp32[256]
)",
                                  cfg);
  // N / 0.25 = 1024 cycles of the moving port per matmul.
  CHECK(test::cycles(run.recorder.issued[1].issue - run.recorder.issued[0].issue,
                     cfg.tensor.clock_ghz) == doctest::Approx(1024));
  // Completion: issue + 1024 (flow) + 128 + 128 - 2 (fill/drain) + 1 (PSUM write) = +1279.
  CHECK(test::cycles(run.recorder.completed[0].complete - run.recorder.issued[0].issue,
                     cfg.tensor.clock_ghz) == doctest::Approx(1279));
}

TEST_CASE("transpose through the array costs max(P, min(64, F)) cycles of the input port") {
  config::SystemConfig cfg;
  const auto c = sysc::transpose_cycles(cfg.tensor, 128, 32);
  CHECK(c.stream == doctest::Approx(128));
  const auto d = sysc::transpose_cycles(cfg.tensor, 16, 100);
  CHECK(d.stream == doctest::Approx(64));
  const auto e = sysc::transpose_cycles(cfg.tensor, 16, 20);
  CHECK(e.stream == doctest::Approx(20));
}
