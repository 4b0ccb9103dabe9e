// Whole-model properties: determinism of the statistics, and the report's figures.
#include <doctest/doctest.h>

#include "sim_harness.h"
#include "stats/report.h"

using namespace trnsim;

namespace {
const char* kTile = R"(.trace 1
.tensor W hbm bf16 [128, 128] init=random(seed=1)
.tensor X hbm bf16 [128, 512] init=random(seed=2)
.tensor Y hbm bf16 [128, 512] output
.sem s_in s_mm s_out

dma.q0: copy sbuf[0:128]@0x0000.bf16[128], hbm:W[0:128, 0:128]              post(s_in += 1)
dma.q1: copy sbuf[0:128]@0x0100.bf16[512], hbm:X[0:128, 0:512]              post(s_in += 1)
pe:     matmul psum[0:128]@bank0.fp32[512], sbuf[0:128]@0x0000.bf16[128], sbuf[0:128]@0x0100.bf16[512] acc=start  wait(s_in >= 2) post(s_mm += 1)
act:    activation sbuf[0:128]@0x0500.bf16[512], psum[0:128]@bank0.fp32[512] func=gelu  wait(s_mm >= 1) post(s_out += 1)
dma.q0: copy hbm:Y[0:128, 0:512], sbuf[0:128]@0x0500.bf16[512]              wait(s_out >= 1)
)";
}  // namespace

TEST_CASE("identical inputs give byte-identical stats JSON") {
  const config::SystemConfig cfg;
  test::Run a = test::run_trace(kTile, cfg);
  test::Run b = test::run_trace(kTile, cfg);
  REQUIRE(a.result.completed);
  CHECK(stats::to_json(a.stats, a.program).dump(2) == stats::to_json(b.stats, b.program).dump(2));
}

TEST_CASE("the stats JSON has the documented top-level keys and sane values") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(kTile, cfg);
  const auto j = stats::to_json(run.stats, run.program);
  REQUIRE(j.contains("cycles"));
  CHECK(j["cycles"].is_number_integer());
  CHECK(j["seconds"].get<double>() > 0);
  CHECK(j["instructions"].get<std::uint64_t>() == 5);
  CHECK(j["mfu"].get<double>() > 0);
  CHECK(j["mfu"].get<double>() <= 1);
  for (const char* e : {"pe", "act", "dma"}) {
    CAPTURE(e);
    REQUIRE(j["engines"].contains(e));
    CHECK(j["engines"][e]["busy"].get<double>() >= 0);
    CHECK(j["engines"][e]["busy"].get<double>() <= 1);
  }
  // The tile: 2 * 128 * 128 * 512 FLOP.
  CHECK(j["flops"].get<double>() == 2.0 * 128 * 128 * 512);
  // Loads 32 KiB + 128 KiB, store 128 KiB.
  CHECK(j["dma"]["bytes"].get<std::uint64_t>() == 32768u + 131072u + 131072u);
  CHECK(j["hbm"]["bytes_read"].get<std::uint64_t>() == 32768u + 131072u);
  CHECK(j["hbm"]["bytes_written"].get<std::uint64_t>() == 131072u);
}

TEST_CASE("the terminal report names every engine that ran and the MFU") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(kTile, cfg);
  const std::string report = stats::format_report(run.stats, run.program);
  for (const char* s : {"TensorE", "ScalarE", "DMA", "MFU", "cycles", "semaphore_wait"}) {
    CAPTURE(s);
    CHECK(report.find(s) != std::string::npos);
  }
}

TEST_CASE("the stats time series add up to the run's busy time and HBM bytes") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(kTile, cfg);
  const stats::TimeSeries& ts = run.stats.timeseries;
  REQUIRE(ts.bins >= 1);
  REQUIRE(ts.bins <= stats::TimeBins::kMaxBins);
  CHECK(static_cast<double>(ts.bins) * ts.bin_seconds >= run.stats.seconds);
  // One core, so each engine's bins are its busy share; summed over the run they give the
  // engine's busy time, the same as the `engines` figure.
  for (const stats::EngineTotals& t : run.stats.engines) {
    if (t.engine == isa::Engine::kDma) continue;
    CAPTURE(isa::engine_name(t.engine));
    double busy_seconds = 0;
    for (double share : ts.busy[static_cast<std::size_t>(t.engine)]) {
      CHECK(share >= 0);
      CHECK(share <= 1 + 1e-9);
      busy_seconds += share * ts.bin_seconds;
    }
    CHECK(busy_seconds == doctest::Approx(t.busy * run.stats.seconds));
  }
  // Every transfer reads or writes HBM: 32 KiB + 128 KiB loaded, 128 KiB stored.
  double hbm_bytes = 0;
  for (double rate : ts.hbm_bytes_per_s)
    hbm_bytes += rate * ts.bin_seconds;
  CHECK(hbm_bytes == doctest::Approx(32768.0 + 131072 + 131072));
  for (double rate : ts.link_bytes_per_s)
    CHECK(rate == 0);  // one chip
}

TEST_CASE("the longest waits and the roofline of a GEMM tile") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(kTile, cfg);
  // The matmul waits for both loads, the activation for the matmul, the store for the
  // activation: three waits, all on semaphores, longest first.
  const auto& waits = run.stats.top_waits;
  REQUIRE(waits.size() == 3);
  for (std::size_t i = 0; i < waits.size(); ++i) {
    CAPTURE(i);
    CHECK(waits[i].reason == events::StallReason::kSemaphore);
    CHECK(waits[i].wait_seconds > 0);
    if (i > 0) CHECK(waits[i - 1].wait_seconds >= waits[i].wait_seconds);
  }
  // 2 * 128 * 128 * 512 = 16.8 MFLOP over 288 KiB of HBM traffic: 56.9 FLOP/B, past the
  // trn2 ridge of 78.64 TFLOP/s / 2.9 TB/s = 27.1, so compute-bound.
  const stats::Roofline& roof = run.stats.roofline;
  CHECK(roof.hbm_bytes == 294912.0);
  CHECK(roof.arithmetic_intensity == doctest::Approx(16777216.0 / 294912));
  CHECK(roof.ridge_intensity == doctest::Approx(2.0 * 128 * 128 * 2.4e9 / 2.9e12));
  CHECK(roof.bound == stats::Bound::kCompute);
  CHECK(roof.bound_flops_per_s == doctest::Approx(run.stats.peak_flops));
  CHECK(roof.fraction_of_bound == doctest::Approx(run.stats.mfu));

  const std::string report = stats::format_report(run.stats, run.program);
  CAPTURE(report);
  CHECK(report.find("roofline  56.9 FLOP/B (ridge 27.1): compute-bound; ") != std::string::npos);
  CHECK(report.find("longest waits") != std::string::npos);
  CHECK(report.find("test.trn:10  chip0.core0 act ") != std::string::npos);
}

TEST_CASE("the DMA time series adds up to the DMA engines' busy time") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(kTile, cfg);
  const stats::TimeSeries& ts = run.stats.timeseries;
  const std::size_t dma = static_cast<std::size_t>(isa::Engine::kDma);
  double busy_seconds = 0;
  for (double share : ts.busy[dma]) {
    CHECK(share >= 0);
    CHECK(share <= 1 + 1e-9);
    busy_seconds += share * ts.bin_seconds * run.stats.traffic.dma_engines;
  }
  CHECK(busy_seconds == doctest::Approx(run.stats.traffic.dma_engine_busy_seconds));
}
