// DMA queues, engines and HBM: transfer times and bandwidth sharing.
#include <doctest/doctest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/source_file.h"
#include "config/config_loader.h"
#include "sim_harness.h"
#include "sysc/dma/dma_engines.h"
#include "sysc/dma/dma_plan.h"
#include "trace/parser.h"

using namespace trnsim;

namespace {

// Completion time (ns) of a single HBM -> SBUF copy of `rows` partitions x `bytes` each.
double copy_ns(std::uint32_t rows, std::uint64_t bytes, const config::SystemConfig& cfg) {
  const std::uint64_t elems = bytes / 2;
  test::Run run = test::run_trace(
      fmt::format(".trace 1\ndma.q0: copy sbuf[0:{}]@0x0.bf16[{}], hbm@0x0.bf16[{}:{}, {}]\n", rows,
                  elems, rows, elems, elems),
      cfg);
  REQUIRE(run.recorder.completed.size() == 1);
  return run.recorder.completed[0].complete * 1e9;
}

}  // namespace

TEST_CASE("a single-partition 32 KiB transfer runs on one engine at its bandwidth") {
  const config::SystemConfig cfg;  // trn2: 23 GB/s per engine, 1.3 us start, 8 ns/element
  // start latency 1300 ns (descriptor generation, 600 ns, overlaps it)
  // + 32768 B / 23 B/ns = 1424.70 ns on one engine (one row = one descriptor element)
  // + 8 ns for that element
  // + the HBM read latency, 100 ns: the last byte comes back that long after its request
  // + the SBUF write access: 60 cycles at 1.2 GHz = 50 ns after the last byte arrived.
  // The HBM's bandwidth (4 KiB every 178 ns over 16 channels) keeps ahead.
  const double expected = 1300 + 32768.0 / 23.0 + 8 + 100 + 50;
  CHECK(copy_ns(1, 32768, cfg) == doctest::Approx(expected).epsilon(1e-6));
}

TEST_CASE(
    "DMA time is a fixed cost plus size over bandwidth, and >= 4 KiB per partition saturates") {
  const config::SystemConfig cfg;
  // The start latency, then the HBM read and SBUF write latencies, which add up: a byte is
  // written once it has been read.
  const double fixed = cfg.dma.start_latency_ns + cfg.hbm.latency_ns +
                       cfg.sbuf.access_start_cycles / cfg.core.clock_ghz;
  const double core_bandwidth = cfg.dma.engines * cfg.dma.engine_bandwidth_gb_s;  // B/ns
  double previous = 0;
  for (std::uint64_t per_partition : {512u, 1024u, 2048u, 4096u, 8192u, 16384u}) {
    CAPTURE(per_partition);
    const double t = copy_ns(128, per_partition, cfg);
    const double bytes = 128.0 * per_partition;
    const double efficiency = bytes / core_bandwidth / (t - fixed);
    CHECK(t > previous);
    previous = t;
    CHECK(efficiency <= 1.0);
    if (per_partition >= 4096) CHECK(efficiency > 0.9);
    if (per_partition <= 512) CHECK(efficiency < 0.8);
  }
  // Linear in size: doubling 8 KiB -> 16 KiB per partition adds 128 * 8 KiB at the
  // engines' rate plus the 8 elements per engine... i.e. within 2 % of size / bandwidth.
  const double delta = copy_ns(128, 16384, cfg) - copy_ns(128, 8192, cfg);
  CHECK(delta == doctest::Approx(128.0 * 8192 / core_bandwidth).epsilon(0.02));
}

TEST_CASE("strided transfers pay per descriptor element") {
  const config::SystemConfig cfg;
  // 16 rows on 16 engines: one row each. Contiguous 4 KiB rows vs the same bytes gathered
  // with an innermost stride of 2 elements on the HBM side (2048 elements of 2 bytes, each
  // its own run): 2048 elements * 8 ns = 16.4 us more per engine.
  test::Run contiguous = test::run_trace(
      ".trace 1\ndma.q0: copy sbuf[0:16]@0x0.bf16[2048], hbm@0x0.bf16[16:4096, 2048]\n", cfg);
  test::Run strided = test::run_trace(
      ".trace 1\ndma.q0: copy sbuf[0:16]@0x0.bf16[2048], hbm@0x0.bf16[16:4096, 2048:2]\n", cfg);
  const double extra =
      (strided.recorder.completed[0].complete - contiguous.recorder.completed[0].complete) * 1e9;
  CHECK(extra == doctest::Approx(2047 * cfg.dma.element_overhead_ns).epsilon(0.01));
}

TEST_CASE("an engine serves its hardware queues round-robin, in order within each queue") {
  config::SystemConfig cfg;
  cfg.dma.engines = 1;
  // q0 issues four 64 KiB copies A1..A4 every descriptor_ns (600 ns): ready at 1.3, 1.9,
  // 2.5 and 3.1 us. q1 first runs 2400 nops (1 cycle each at 1.2 GHz: 2 us), so its copy
  // B1 issues at 2 us and is ready at 3.3 us. A1 starts at 1.3 us and streams
  // 65536 / 23 + 8 = 2857 ns, until 4.16 us. Then A2 (ready since 1.9) and B1 (since
  // 3.3) both wait: round-robin takes q1 next, B1, although A2 has waited longer; first
  // come first served would take A2. Then A2, A3, A4 in queue order.
  std::string text = ".trace 1\n";
  for (int i = 0; i < 4; ++i) {
    text +=
        fmt::format("dma.q0: copy sbuf[{}:{}]@0x0.bf16[32768], hbm@{:#x}.bf16[1:32768, 32768]\n", i,
                    i + 1, i * 65536);
  }
  for (int i = 0; i < 2400; ++i)
    text += "dma.q1: nop\n";
  text += "dma.q1: copy sbuf[8:9]@0x0.bf16[32768], hbm@0x100000.bf16[1:32768, 32768]\n";
  test::Run run = test::run_trace(text, cfg);
  REQUIRE(run.result.completed);
  REQUIRE(run.recorder.transfers.size() == 5);
  std::vector<std::pair<double, std::uint32_t>> starts;  // (start, source line)
  for (const auto& t : run.recorder.transfers)
    starts.emplace_back(t.start, run.program.instructions[t.instruction].line);
  std::sort(starts.begin(), starts.end());
  const std::uint32_t b1 = 2 + 4 + 2400;
  CHECK(starts[0].second == 2);
  CHECK(starts[1].second == b1);
  CHECK(starts[2].second == 3);
  CHECK(starts[3].second == 4);
  CHECK(starts[4].second == 5);
  const double a1_end_ns = 1300 + 65536.0 / 23 + 8;
  CHECK(starts[1].first * 1e9 == doctest::Approx(a1_end_ns).epsilon(1e-9));
}

TEST_CASE("a DMA's post is applied once, when every engine's slice has landed") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(R"(.trace 1
.sem s
dma.q0: copy sbuf[0:128]@0x0.bf16[2048], hbm@0x0.bf16[128:2048, 2048] post(s += 1)
sync: nop wait(s >= 1)
sync: nop wait(s >= 2)
)",
                                  cfg);
  CHECK(run.recorder.transfers.size() == cfg.dma.engines);
  double last = 0;
  for (const auto& t : run.recorder.transfers)
    last = std::max(last, t.end);
  CHECK(run.recorder.completion_of_line(run.program, 3).complete == doctest::Approx(last));
  CHECK(run.result.final_semaphores[0] == 1);
  CHECK_FALSE(run.result.completed);  // the second nop waits for a second post forever
}

TEST_CASE("two cores sharing HBM never exceed its bandwidth in sum") {
  config::SystemConfig cfg;
  cfg.chip.cores = 2;
  cfg.hbm.bandwidth_gb_s = 200;  // below the two cores' DMA bandwidth (2 x 368 GB/s)
  std::string text = ".trace 1\n";
  for (int core = 0; core < 2; ++core) {
    text += fmt::format("chip 0 core {}\n", core);
    for (int i = 0; i < 4; ++i) {
      // 128 partitions x 32 KiB = 4 MiB per copy, 16 MiB per core.
      text += fmt::format(
          "dma.q{}: copy sbuf[0:128]@0x0.bf16[16384], hbm@{:#x}.bf16[128:16384, 16384]\n", i,
          (core * 4 + i) * 4 * 1024 * 1024);
    }
  }
  test::Run run = test::run_trace(text, cfg);
  REQUIRE(run.result.completed);
  const double bytes = static_cast<double>(run.result.traffic.hbm_bytes_read);
  CHECK(bytes == 2.0 * 4 * 128 * 32768);
  const double busy = run.result.seconds - cfg.dma.start_latency_ns * 1e-9;
  const double achieved = bytes / busy / 1e9;  // GB/s
  CHECK(achieved <= cfg.hbm.bandwidth_gb_s * 1.001);
  CHECK(achieved > cfg.hbm.bandwidth_gb_s * 0.9);
  CHECK(run.stats.hbm_wait_seconds > 0);
}

TEST_CASE("DMA waits are counted: engines shared between queues, and network back-pressure") {
  // Chip 0's 16 engines stream 368 GB/s into a 320 GB/s link: the network holds them. A
  // local copy on another queue, issued at the same time, waits for engines the remote copy
  // holds (slices of both queues alternate round-robin on each engine).
  config::SystemConfig cfg;
  cfg.system.chips = 2;
  cfg.topology.kind = config::TopologyKind::kRing;
  const std::string text = R"(.trace 1
.tensor A hbm fp32 [1024, 1024]
.tensor L hbm fp32 [1024, 1024]
.tensor R chip1.hbm fp32 [1024, 1024]
dma.q0: copy hbm:R, hbm:A
dma.q0: copy hbm:R, hbm:A
dma.q1: copy hbm:L, hbm:A
)";
  test::Run run = test::run_trace(text, cfg);
  REQUIRE(run.result.completed);
  CHECK(run.stats.link_wait_seconds > 0);
  CHECK(run.stats.engine_wait_seconds > 0);
  for (const stats::StreamStats& s : run.stats.streams) {
    if (s.engine != isa::Engine::kDma) continue;
    CAPTURE(s.queue);
    if (s.queue == 0) CHECK(s.link_wait_seconds > 0);
    if (s.queue == 1) {
      CHECK(s.link_wait_seconds == 0);
      // Its 16 slices each waited for the remote copy's slice on their engine: at least the
      // time one engine streams 256 KiB at its rate.
      CHECK(s.dma_engine_wait_seconds >= 16 * 262144 / (cfg.dma.engine_bandwidth_gb_s * 1e9));
    }
  }
  // The whole copy is link-bound: 8 MiB over 320 GB/s.
  CHECK(run.result.seconds > 8.0 * 1024 * 1024 / (cfg.link.bandwidth_gb_s * 1e9));
  CHECK(run.result.traffic.link_bytes == 8u * 1024 * 1024);
}

TEST_CASE("DMA planning spreads partitions over the engines in contiguous groups") {
  const config::SystemConfig cfg;
  test::Run run = test::run_trace(
      ".trace 1\ndma.q0: copy sbuf[0:128]@0x0.bf16[4096], hbm@0x0.bf16[128:4096, 4096]\n", cfg);
  const trace::Instruction& ins = run.program.instructions[0];
  const sysc::DmaPlan plan = sysc::plan_dma(run.program, ins, cfg, {});
  REQUIRE(plan.slices.size() == 16);
  // 8 partitions of 8 KiB per engine, one descriptor element each.
  for (const auto& s : plan.slices) {
    CHECK(s.src.rows == 8);
    CHECK(s.src.row_bytes == 8192);
    CHECK(s.dst.rows == 8);
    CHECK(s.runs == 8.0);
  }
  CHECK(plan.src_bytes == 128u * 8192);
  CHECK(plan.slices[1].src.address == 8u * 8192);
  CHECK(plan.slices[1].src.stride == 8192);
}

TEST_CASE("a DMA reading another chip's memory is refused with its trace line") {
  config::SystemConfig cfg;
  cfg.system.chips = 2;
  cfg.topology.kind = config::TopologyKind::kRing;
  cfg.topology.dims = {2};
  trace::Program program = trace::parse_trace(R"(.trace 1
.tensor R chip1.hbm bf16 [128, 512]
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:R[0:128, 0:512]
)",
                                              "remote.trn");
  DiagnosticList diags;
  CHECK_FALSE(sysc::check_supported(program, diags));
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].line == 3);
  CHECK(diags.items()[0].column == 41);
  CHECK(diags.items()[0].message.starts_with("chip 0 reads the memory of chip 1"));

  // Writing into chip 1 from chip 0 is what the network carries; the same copy from this
  // chip's HBM is fine too.
  DiagnosticList write;
  CHECK(sysc::check_supported(trace::parse_trace(R"(.trace 1
.tensor R chip1.hbm bf16 [128, 512]
dma.q0: copy hbm:R[0:128, 0:512], sbuf[0:128]@0x0.bf16[512]
)",
                                                 "remote-write.trn"),
                              write));
  DiagnosticList none;
  CHECK(sysc::check_supported(trace::parse_trace(R"(.trace 1
.tensor L hbm bf16 [128, 512]
dma.q0: copy sbuf[0:128]@0x0.bf16[512], hbm:L[0:128, 0:512]
)",
                                                 "local.trn"),
                              none));
}

namespace {

// Everything a run recorded, one line per event, doubles in full (shortest exact) form.
std::string event_log(const test::Run& run) {
  std::string out = fmt::format("end {} completed {}\n", run.result.seconds, run.result.completed);
  for (const auto& e : run.recorder.completed) {
    out += fmt::format("ins {} ready {} issue {} busy_end {} complete {} stalls {}\n", e.index,
                       e.ready, e.issue, e.busy_end, e.complete, fmt::join(e.stall, ","));
  }
  for (const auto& t : run.recorder.transfers) {
    out += fmt::format("xfer {} engine {} start {} end {} bytes {} hbm_wait {}\n", t.instruction,
                       t.dma_engine, t.start, t.end, t.bytes, t.hbm_wait);
  }
  return out;
}

// DMA traffic that moves the engines in and out of lockstep: full 128-partition copies on
// several queues, a copy over fewer partitions than engines, an uneven split (100
// partitions on 16 engines) with strided rows, in rounds chained by semaphores so that the
// engines drain in between.
std::string mixed_dma_trace() {
  std::string text = ".trace 1\n.tensor X hbm bf16 [4096, 4096] init=zeros\n.sem s t\n";
  int posted = 0;
  for (int round = 0; round < 6; ++round) {
    // Each round starts when the previous one has landed: the engines drain in between.
    const std::string gate = round == 0 ? "" : fmt::format(" wait(t >= {})", round);
    for (int i = 0; i < 6; ++i) {
      const int q = (round * 5 + i) % 16;  // overlapping the previous round: round-robin wraps
      const int row = ((round * 6 + i) * 128) % 4096;
      text += fmt::format(
          "dma.q{}: copy sbuf[0:128]@{:#x}.bf16[1024], hbm:X[{}:{}, 0:1024]{} post(s += 1)\n", q,
          (i % 4) * 2048, row, row + 128, gate);
      ++posted;
    }
    if (round % 2 == 1) {
      text += fmt::format(
          "dma.q{}: copy sbuf[0:100]@0x9000.bf16[256], hbm@0x4000000.bf16[100:4096, 256:2]{} "
          "post(s += 1)\n",
          round + 1, gate);
      ++posted;
      // Last of the round, on engines 0-2 only: they end at another round-robin position
      // than the others, so lockstep must not resume next round.
      text += fmt::format(
          "dma.q{}: copy sbuf[0:3]@0x8000.bf16[512], hbm:X[0:3, 0:512] wait(s >= {}) "
          "post(s += 1)\n",
          round + 8, posted);
      ++posted;
    }
    text += fmt::format("sync: nop wait(s >= {}) post(t += 1)\n", posted);
    text +=
        fmt::format("dma.q{}: copy hbm:X[{}:{}, 0:512], sbuf[0:128]@0x0.bf16[512] wait(t >= {})\n",
                    (round * 5 + 7) % 16, 2048 + round * 128, 2048 + round * 128 + 128, round + 1);
  }
  return text;
}

}  // namespace

TEST_CASE("keeping DMA engines in lockstep changes no event of a run") {
  const config::SystemConfig cfg;
  const std::string dma = mixed_dma_trace();
  const std::string gemm = read_file(TRNSIM_SOURCE_DIR "/workloads/gemm-256x512x384-bf16-tiny.trn");
  const config::SystemConfig tiny = config::load_config(TRNSIM_SOURCE_DIR "/configs/tiny.yaml");
  for (int which = 0; which < 2; ++which) {
    CAPTURE(which);
    const config::SystemConfig& c = which == 0 ? cfg : tiny;
    const std::string& text = which == 0 ? dma : gemm;
    sysc::DmaEngines::allow_lockstep(true);
    const std::string with = event_log(test::run_trace(text, c));
    sysc::DmaEngines::allow_lockstep(false);
    const std::string without = event_log(test::run_trace(text, c));
    sysc::DmaEngines::allow_lockstep(true);
    CHECK(with.size() > 1000);
    CHECK(with == without);
  }
}
