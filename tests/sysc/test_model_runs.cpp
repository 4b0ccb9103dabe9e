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
