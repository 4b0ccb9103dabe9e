// The collector fed with events made by hand: what the schema-2 figures are made of, with
// the arithmetic in comments. Whole runs are in tests/sysc/test_model_runs.cpp.
#include <doctest/doctest.h>

#include "stats/report.h"
#include "stats/run_stats.h"
#include "trace/parser.h"

using namespace trnsim;

namespace {

// Two cores on one chip; only the instructions' positions and lines matter here.
const char* kTwoCores = R"(.trace 1
.tensor X hbm bf16 [128, 512] init=random(seed=2)
.sem s
chip 0 core 0
dma.q0: copy sbuf[0:128]@0x0100.bf16[512], hbm:X[0:128, 0:512]  post(s += 1)
act:    activation sbuf[0:128]@0x0500.bf16[512], sbuf[0:128]@0x0100.bf16[512] func=gelu  wait(s >= 1)
chip 0 core 1
act:    activation sbuf[0:128]@0x0500.bf16[512], sbuf[0:128]@0x0100.bf16[512] func=gelu
)";

constexpr double kNs = 1e-9;

events::InstructionEvent act(std::uint32_t index, std::uint32_t core, double issue, double busy_end,
                             double semaphore_wait) {
  events::InstructionEvent e;
  e.index = index;
  e.core_index = core;
  e.engine = isa::Engine::kAct;
  e.ready = issue - semaphore_wait;
  e.issue = issue;
  e.busy_end = busy_end;
  e.complete = busy_end;
  e.stall[static_cast<std::size_t>(events::StallReason::kSemaphore)] = semaphore_wait;
  return e;
}

struct Collected {
  trace::Program program;
  stats::RunStats stats;
};

// 400 ns of activity:
//   core 0 act  busy [10, 30] ns after waiting 10 ns for the semaphore;
//   core 1 act  busy [0, 100] ns;
//   a DMA slice moving 1600 B from HBM on one of the core's 16 DMA engines, holding it for
//     [0, 100] ns (20 ns of that held back by the HBM) and landing at 160 ns;
//   a link packet [100, 200] ns of 800 B.
Collected collect(const std::string& file = "two.trn") {
  Collected c;
  c.program = trace::parse_trace(kTwoCores, file);
  REQUIRE(c.program.instructions.size() == 3);
  config::SystemConfig cfg;
  stats::StatsCollector collector(c.program, cfg);

  events::InstructionEvent load;
  load.index = 0;
  load.engine = isa::Engine::kDma;
  load.issue = 0;
  load.busy_end = 100 * kNs;
  load.bytes = 1600;
  collector.on_issue(load);
  events::TransferEvent slice;
  slice.start = 0;
  slice.engine_free = 100 * kNs;
  slice.end = 160 * kNs;
  slice.hbm_wait = 20 * kNs;
  slice.bytes = 1600;
  slice.src = isa::Memory::kHbm;
  slice.dst = isa::Memory::kSbuf;
  collector.on_transfer(slice);
  collector.on_issue(act(1, 0, 10 * kNs, 30 * kNs, 10 * kNs));
  collector.on_issue(act(2, 1, 0, 100 * kNs, 0));
  events::LinkEvent packet;
  packet.start = 100 * kNs;
  packet.end = 200 * kNs;
  packet.bytes = 800;
  collector.on_link(packet);

  events::MemoryTraffic traffic;
  traffic.chips = 1;
  traffic.dma_engines = 32;  // 16 per core
  traffic.hbm_bytes_read = 1600;
  c.stats = collector.finish(400 * kNs, true, traffic);
  return c;
}

}  // namespace

TEST_CASE("collector: busy and traffic per bin, normalized by streams, engines and width") {
  const Collected c = collect();
  const stats::TimeSeries& ts = c.stats.timeseries;
  // 400 ns needs one merge of the 1 ns bins: 2 ns x 256 = 512 ns; 200 bins reach 400 ns.
  CHECK(ts.bin_seconds == doctest::Approx(2 * kNs));
  REQUIRE(ts.bins == 200);
  const auto& act_busy = ts.busy[static_cast<std::size_t>(isa::Engine::kAct)];
  REQUIRE(act_busy.size() == 200);
  // Two ACT streams: core 1 alone in [0, 10) and [30, 100) = 50 %; both in [10, 30) = 100 %.
  CHECK(act_busy[0] == doctest::Approx(0.5));
  CHECK(act_busy[4] == doctest::Approx(0.5));
  CHECK(act_busy[5] == doctest::Approx(1.0));
  CHECK(act_busy[14] == doctest::Approx(1.0));
  CHECK(act_busy[15] == doctest::Approx(0.5));
  CHECK(act_busy[49] == doctest::Approx(0.5));
  CHECK(act_busy[50] == doctest::Approx(0.0));
  // DMA: one engine of 32 streaming 80 ns, spread over the 100 ns it held the engine:
  // 0.8 / 32 = 2.5 % in [0, 100), nothing for the latencies after.
  const auto& dma_busy = ts.busy[static_cast<std::size_t>(isa::Engine::kDma)];
  CHECK(dma_busy[0] == doctest::Approx(0.8 / 32));
  CHECK(dma_busy[49] == doctest::Approx(0.8 / 32));
  CHECK(dma_busy[50] == doctest::Approx(0.0));
  CHECK(ts.busy[static_cast<std::size_t>(isa::Engine::kPe)].empty());  // did not run
  // HBM: 1600 B over the slice's [0, 160] ns = 10 GB/s; links: 800 B over 100 ns = 8 GB/s,
  // in [100, 200).
  CHECK(ts.hbm_bytes_per_s[0] == doctest::Approx(10e9));
  CHECK(ts.hbm_bytes_per_s[79] == doctest::Approx(10e9));
  CHECK(ts.hbm_bytes_per_s[80] == doctest::Approx(0.0));
  CHECK(ts.link_bytes_per_s[49] == doctest::Approx(0.0));
  CHECK(ts.link_bytes_per_s[50] == doctest::Approx(8e9));
  CHECK(ts.link_bytes_per_s[99] == doctest::Approx(8e9));
  CHECK(ts.link_bytes_per_s[100] == doctest::Approx(0.0));
}

TEST_CASE("collector: the JSON has the schema-2 sections with their keys") {
  const Collected c = collect();
  const auto j = stats::to_json(c.stats, c.program);
  CHECK(j["schema_version"] == 2);
  // The new sections come after `streams`, in this order.
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items())
    keys.push_back(key);
  REQUIRE(keys.size() >= 3);
  CHECK(keys[keys.size() - 4] == "streams");
  CHECK(keys[keys.size() - 3] == "timeseries");
  CHECK(keys[keys.size() - 2] == "top_waits");
  CHECK(keys[keys.size() - 1] == "roofline");

  const auto& ts = j["timeseries"];
  CHECK(ts["bins"] == 200);
  CHECK(ts["busy"].size() == 2);  // act and dma, like `engines`
  CHECK(ts["busy"]["act"].size() == 200);
  CHECK(ts["hbm_bytes_per_s"].size() == 200);
  CHECK(ts["link_bytes_per_s"].size() == 200);

  // Only core 0's activation waited.
  REQUIRE(j["top_waits"].size() == 1);
  const auto& w = j["top_waits"][0];
  CHECK(w["instruction"] == 1);
  CHECK(w["file"] == "two.trn");
  CHECK(w["line"] == 6);
  CHECK(w["chip"] == 0);
  CHECK(w["core"] == 0);
  CHECK(w["engine"] == "act");
  CHECK(w["queue"] == 0);
  CHECK(w["opcode"] == "activation");
  CHECK(w["wait_seconds"].get<double>() == doctest::Approx(10 * kNs));
  CHECK(w["reason"] == "semaphore_wait");
  CHECK(w["stall_seconds"].contains("engine_busy"));

  // No matmul: no FLOPs, 1600 HBM bytes on the one chip's 2.9 TB/s.
  const auto& roof = j["roofline"];
  for (const char* key : {"flops", "hbm_bytes", "arithmetic_intensity", "peak_flops_per_s",
                          "peak_hbm_bytes_per_s", "ridge_intensity", "bound_flops_per_s",
                          "achieved_flops_per_s", "fraction_of_bound", "bound"}) {
    CAPTURE(key);
    CHECK(roof.contains(key));
  }
  CHECK(roof["hbm_bytes"] == 1600.0);
  CHECK(roof["peak_hbm_bytes_per_s"] == 2900e9);
  CHECK(roof["arithmetic_intensity"] == 0.0);
}

TEST_CASE("collector: the report lists the longest waits by file and line") {
  const Collected c = collect();
  const std::string report = stats::format_report(c.stats, c.program);
  CAPTURE(report);
  CHECK(report.find("longest waits") != std::string::npos);
  CHECK(report.find("two.trn:6  chip0.core0 act  activation  waited 10.0 ns (semaphore_wait "
                    "10.0 ns)\n") != std::string::npos);
  CHECK(report.find("roofline  - (needs matmul FLOPs and HBM traffic") != std::string::npos);
  // Two cores: the per-stream table, its times in the unit of the elapsed time (ns).
  CHECK(report.find("busy ns") != std::string::npos);
  CHECK(report.find("busy %") != std::string::npos);
}

TEST_CASE("collector: without a file name, a wait is named by its instruction index") {
  const Collected c = collect("");
  const std::string report = stats::format_report(c.stats, c.program);
  CAPTURE(report);
  CHECK(report.find("  instruction 1  chip0.core0 act  activation  waited") != std::string::npos);
  CHECK(stats::to_json(c.stats, c.program)["top_waits"][0]["file"] == "");
}
