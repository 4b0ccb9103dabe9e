// The tensor engine's cycle formulas and their sequencing in time.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

namespace {

// trn2 throttling with a 4 us re-engage window: starts at half rate, full after 3 us.
config::SystemConfig throttled() {
  config::SystemConfig cfg;
  cfg.tensor.throttle = true;
  cfg.tensor.throttle_start_fraction = 0.5;
  cfg.tensor.throttle_ramp_us = 3.0;
  cfg.tensor.throttle_reengage_us = 4.0;
  return cfg;
}

// A 128 x 128 x 512 bf16 matmul into PSUM bank `bank`, with extra text (waits, posts).
std::string matmul_line(int bank, std::string_view extra = {}) {
  return fmt::format(
      "pe: matmul psum[0:128]@bank{}.fp32[512], sbuf[0:128]@0x0.bf16[128], "
      "sbuf[0:128]@0x1000.bf16[512] {}\n",
      bank, extra);
}

// A tensor engine instruction's streaming: start, end, and its length, in ns.
struct Streamed {
  double start_ns;
  double end_ns;
  double stream_ns;
};

// The tensor engine's instructions, in program order.
std::vector<Streamed> matmuls(const test::Run& run) {
  std::vector<std::pair<std::uint32_t, Streamed>> by_index;
  for (const auto& e : run.recorder.issued) {
    if (e.engine != isa::Engine::kPe) continue;
    by_index.push_back({e.index, {e.issue * 1e9, e.busy_end * 1e9, (e.busy_end - e.issue) * 1e9}});
  }
  std::sort(by_index.begin(), by_index.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Streamed> out;
  for (const auto& [index, s] : by_index)
    out.push_back(s);
  return out;
}

}  // namespace

TEST_CASE("throttling starts matmuls at the start fraction and ramps to full rate") {
  const config::SystemConfig cfg = throttled();
  // With background weight load, back-to-back matmuls issue one streaming time apart:
  // 512 columns at 1 per cycle at 2.4 GHz = 213.33 ns at full rate. A matmul starting
  // t after throttling engaged streams at rate 0.5 + 0.5 * min(1, t / 3 us).
  std::string text = ".trace 1\n";
  for (int i = 0; i < 24; ++i)
    text += matmul_line(i % 8);
  test::Run run = test::run_trace(text, cfg);
  REQUIRE(run.result.completed);
  const std::vector<Streamed> mm = matmuls(run);
  REQUIRE(mm.size() == 24);
  const double full = 512 / 2.4;
  for (std::size_t i = 0; i < mm.size(); ++i) {
    CAPTURE(i);
    const double elapsed = mm[i].start_ns - mm[0].start_ns;
    const double rate = 0.5 + 0.5 * std::min(1.0, elapsed / 3000.0);
    CHECK(mm[i].stream_ns == doctest::Approx(full / rate).epsilon(1e-6));
    if (i > 0) CHECK(mm[i].start_ns == doctest::Approx(mm[i - 1].end_ns).epsilon(1e-9));
  }
  CHECK(mm[0].stream_ns == doctest::Approx(2 * full).epsilon(1e-6));
  CHECK(mm[23].start_ns - mm[0].start_ns > 3000.0);  // the last ones run at full rate
  CHECK(mm[23].stream_ns == doctest::Approx(full).epsilon(1e-6));
}

TEST_CASE("throttling engages again only after a window below half utilisation") {
  const config::SystemConfig cfg = throttled();
  // 20 matmuls (over 5 us: the ramp is done), then a short pause behind a 64-byte copy
  // (~1.4 us: the last 4 us were still more than half busy, so full rate goes on), a
  // matmul, then a long pause behind a 128 KiB copy (~7 us idle: throttling engages again,
  // half rate), then sparse matmuls, one per short pause: never 4 us idle, but about 15 %
  // busy, so throttling engages again once a whole 4 us window lies after the last time
  // it did.
  const std::string short_copy = "copy sbuf[127:128]@0x8000.bf16[32], hbm@0x0.bf16[1:32, 32]";
  const std::string long_copy =
      "copy sbuf[127:128]@0x8000.bf16[65536], hbm@0x0.bf16[1:65536, 65536]";
  std::string text = ".trace 1\n.sem m d\n";
  for (int i = 0; i < 19; ++i)
    text += matmul_line(i % 8);
  text += matmul_line(3, "post(m += 1)");
  text += fmt::format("dma.q0: {} wait(m >= 1) post(d += 1)\n", short_copy);
  text += matmul_line(4, "wait(d >= 1) post(m += 1)");
  text += fmt::format("dma.q0: {} wait(m >= 2) post(d += 1)\n", long_copy);
  text += matmul_line(5, "wait(d >= 2) post(m += 1)");
  for (int i = 0; i < 6; ++i) {
    text += fmt::format("dma.q0: {} wait(m >= {}) post(d += 1)\n", short_copy, 3 + i);
    text += matmul_line(i % 8, fmt::format("wait(d >= {}) post(m += 1)", 3 + i));
  }
  test::Run run = test::run_trace(text, cfg);
  REQUIRE(run.result.completed);
  const std::vector<Streamed> mm = matmuls(run);
  REQUIRE(mm.size() == 28);
  const double full = 512 / 2.4;
  CHECK(mm[19].stream_ns == doctest::Approx(full).epsilon(1e-6));      // ramp done
  CHECK(mm[20].start_ns - mm[19].end_ns > 1300);                       // the short pause
  CHECK(mm[20].stream_ns == doctest::Approx(full).epsilon(1e-6));      // still full rate
  CHECK(mm[21].start_ns - mm[20].end_ns > 4000);                       // the long pause
  CHECK(mm[21].stream_ns == doctest::Approx(2 * full).epsilon(1e-6));  // half again
  // The sparse ones: the first starting 4 us or more after mm[21] engages again.
  std::size_t k = 22;
  while (k < mm.size() && mm[k].start_ns < mm[21].start_ns + 4000)
    ++k;
  REQUIRE(k < mm.size());
  CHECK(mm[k - 1].stream_ns < 2 * full * 0.99);  // it had ramped up meanwhile
  CHECK(mm[k].stream_ns == doctest::Approx(2 * full).epsilon(1e-6));
}
